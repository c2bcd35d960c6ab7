"""Deliveries: an event becomes one queued delivery per subscription that wants it; the delivery
pass sends what is due (in order per key per endpoint), retries with backoff and jitter, gives
up after the retry window, and disables an endpoint that has failed for too long."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog

from services.outbound.app import alerts
from services.outbound.app.models import Attempt, Delivery, Subscription
from services.outbound.app.uow import OutboundUnitOfWork
from services.outbound.domain.retry import RetryPolicy, disables, gives_up, next_delay, succeeded
from services.outbound.domain.subscriptions import matches, webhook_body
from services.outbound.settings import OutboundSettings
from shared.events import Envelope
from shared.telemetry import instruments

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Outgoing:
    url: str
    msg_id: str
    body: str
    secrets: list[str]  # the current secret first; the previous one during a rotation's grace


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: float


class WebhookSender(Protocol):
    async def send_all(self, outgoing: list[Outgoing]) -> list[Outcome]:
        """POST each body signed as Standard Webhooks, concurrently; each answer's status, or why
        there was none, in the same order."""
        ...


async def enqueue(uow: OutboundUnitOfWork, envelope: Envelope, now: datetime) -> int:
    """Queue the event for every active subscription whose types and filter it meets."""
    wanting = [s for s in await uow.subscriptions.wanting(envelope.type) if matches(s.filter, envelope.data)]
    if not wanting:
        return 0
    body = webhook_body(envelope.type, envelope.time, envelope.data)
    await uow.deliveries.add(
        [
            Delivery(
                delivery_id=str(uuid.uuid4()),
                subscription_id=s.subscription_id,
                event_id=envelope.id,
                event_type=envelope.type,
                key=envelope.subject or envelope.id,
                body=body,
                event_at=envelope.time,
                window_from=now,
                next_attempt_at=now,
                created_at=now,
            )
            for s in wanting
        ]
    )
    return len(wanting)


def signing_secrets(subscription: Subscription, now: datetime) -> list[str]:
    grace = subscription.previous_secret_until
    if subscription.previous_secret and grace is not None and grace > now:
        return [subscription.secret, subscription.previous_secret]
    return [subscription.secret]


def _outgoing(delivery: Delivery, subscription: Subscription | None, now: datetime) -> Outgoing:
    assert subscription is not None  # claimed with it, in the same transaction
    return Outgoing(subscription.url, delivery.event_id, delivery.body, signing_secrets(subscription, now))


async def deliver_due(
    uows: Callable[[], OutboundUnitOfWork], settings: OutboundSettings, sender: WebhookSender
) -> int:
    """Send due deliveries in batches until none is due; how many attempts were made."""
    total = 0
    lease = timedelta(seconds=settings.outbound_delivery_timeout_seconds + 30)
    while True:
        now = datetime.now(UTC)
        async with uows() as uow:
            batch = await uow.deliveries.claim_due(now, now + lease, settings.outbound_delivery_batch)
            subscriptions = {s: await uow.subscriptions.get(s) for s in {d.subscription_id for d in batch}}
            await uow.commit()
        if not batch:
            return total
        outcomes = await sender.send_all([_outgoing(d, subscriptions[d.subscription_id], now) for d in batch])
        async with uows() as uow:
            done = list(zip(batch, outcomes, strict=True))
            await settle(uow, settings, done, subscriptions, datetime.now(UTC))
            await uow.commit()
        total += len(batch)
        if len(batch) < settings.outbound_delivery_batch:
            return total


def _settled(
    delivery: Delivery, outcome: Outcome, policy: RetryPolicy, now: datetime
) -> tuple[Delivery, Attempt]:
    """The attempt, and the delivery after it: delivered, to retry, or failed for good."""
    n = delivery.attempts + 1
    attempt = Attempt(
        delivery_id=delivery.delivery_id,
        attempt=n,
        at=now,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
    )
    changes: dict[str, object] = {
        "attempts": n,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
    }
    if succeeded(outcome.status_code):
        changes.update(status="delivered", delivered_at=now)
    else:
        retry_at = now + timedelta(seconds=next_delay(policy, n, random.random()))
        changes.update(status="failed" if gives_up(policy, delivery.window_from, retry_at) else "pending")
        changes["next_attempt_at"] = retry_at
    return delivery.model_copy(update=changes), attempt


async def settle(
    uow: OutboundUnitOfWork,
    settings: OutboundSettings,
    done: list[tuple[Delivery, Outcome]],
    subscriptions: dict[str, Subscription | None],
    now: datetime,
) -> None:
    """Record each attempt and its consequence for the delivery and its endpoint."""
    settled = [_settled(delivery, outcome, settings.retry_policy, now) for delivery, outcome in done]
    await uow.deliveries.settle([d for d, _ in settled], [a for _, a in settled])
    healthy: dict[str, bool] = {}
    for delivery, outcome in done:
        ok = succeeded(outcome.status_code)
        healthy[delivery.subscription_id] = healthy.get(delivery.subscription_id, False) or ok
        instruments.domain_counter("webhook.attempts", "Webhook delivery attempts.").add(
            1, {"outcome": "delivered" if ok else "failed"}
        )
    for subscription_id, ok in healthy.items():
        known = subscriptions.get(subscription_id)
        if not (ok and known is not None and known.failing_since is None):  # a success changes nothing
            await _endpoint_health(uow, settings, subscription_id, ok, now)


async def _endpoint_health(
    uow: OutboundUnitOfWork, settings: OutboundSettings, subscription_id: str, ok: bool, now: datetime
) -> None:
    subscription = await uow.subscriptions.get(subscription_id, lock=True)
    if subscription is None or subscription.status != "active":
        return
    if ok:
        if subscription.failing_since is not None:
            await uow.subscriptions.save(subscription.model_copy(update={"failing_since": None}))
        return
    if subscription.failing_since is None:
        await uow.subscriptions.save(subscription.model_copy(update={"failing_since": now}))
    elif disables(settings.retry_policy, subscription.failing_since, now):
        reason = f"every delivery failed since {subscription.failing_since.isoformat()}"
        log.warning("webhook.endpoint_disabled", subscription_id=subscription_id, reason=reason)
        disabled = subscription.model_copy(
            update={"status": "disabled", "disabled_reason": reason, "updated_at": now}
        )
        await uow.subscriptions.save(disabled)
        data = {"subscription_id": subscription_id, "url": subscription.url, "reason": reason}
        await alerts.raise_alert(uow, settings, "outbound.subscription_disabled", data, now)
