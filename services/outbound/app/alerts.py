"""Alerts: an event (or outbound's own finding) with a rule becomes one queued message per chat
channel and email address its audiences resolve to; the alert pass sends them, with retries."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from services.outbound.app.models import Alert
from services.outbound.app.uow import OutboundUnitOfWork
from services.outbound.domain import alerts as rules
from services.outbound.domain.retry import RetryPolicy, next_delay
from services.outbound.settings import OutboundSettings

BATCH = 100


class Notifier(Protocol):
    async def chat(self, url: str, body: str) -> str | None:
        """POST a chat message; None when the channel took it, else why not."""
        ...

    async def email(self, to: str, subject: str, text: str) -> str | None:
        """Send an email over SMTP; None when the server accepted it, else why not."""
        ...


async def raise_alert(
    uow: OutboundUnitOfWork, settings: OutboundSettings, kind: str, data: dict[str, Any], now: datetime
) -> int:
    """Queue the alert of `kind` when a rule names it; how many messages."""
    rule = settings.outbound_alert_rules.get(kind)
    if rule is None:
        return 0
    title = rules.title_of(rule, data)
    shown = rules.facts(data)
    queued = [
        Alert(
            alert_id=str(uuid.uuid4()),
            kind=kind,
            subject=title,
            text=rules.chat_message(t.format, title, shown)
            if t.channel == "chat"
            else rules.email_text(title, shown),
            channel=t.channel,
            target=t.address,
            format=t.format,
            audience=t.audience,
            next_attempt_at=now,
            created_at=now,
        )
        for t in rules.targets(rule, data, settings.directory)
    ]
    await uow.alerts.add(queued)
    return len(queued)


async def send_due(
    uows: Callable[[], OutboundUnitOfWork], settings: OutboundSettings, notifier: Notifier
) -> int:
    """Send queued alerts until none is due; how many were sent."""
    sent = 0
    while True:
        now = datetime.now(UTC)
        async with uows() as uow:
            batch = await uow.alerts.claim_due(now, now + timedelta(minutes=2), BATCH)
            await uow.commit()
        for alert in batch:
            error = await _send(alert, settings, notifier)
            async with uows() as uow:
                await uow.alerts.save(_after(alert, error, settings, datetime.now(UTC)))
                await uow.commit()
            sent += error is None
        if len(batch) < BATCH:
            return sent


async def _send(alert: Alert, settings: OutboundSettings, notifier: Notifier) -> str | None:
    if alert.channel == "chat":
        return await notifier.chat(alert.target, alert.text)
    if settings.smtp_host is None:
        return "SMTP_HOST is not set"
    return await notifier.email(alert.target, alert.subject, alert.text)


def _after(alert: Alert, error: str | None, settings: OutboundSettings, now: datetime) -> Alert:
    attempts = alert.attempts + 1
    if error is None:
        return alert.model_copy(
            update={"status": "sent", "attempts": attempts, "sent_at": now, "last_error": None}
        )
    window = timedelta(hours=settings.outbound_alert_window_hours)
    policy = RetryPolicy(base_seconds=2.0, max_seconds=600.0, window=window, disable_after=window)
    retry_at = now + timedelta(seconds=next_delay(policy, attempts, random.random()))
    status = "failed" if retry_at - alert.created_at > window else "pending"
    return alert.model_copy(
        update={
            "status": status,
            "attempts": attempts,
            "last_error": error[:500],
            "next_attempt_at": retry_at,
        }
    )
