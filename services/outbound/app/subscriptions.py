"""Subscriptions: create, read, change (url, events, filter, on/off, a new secret), delete; the
delivery log and a manual resend."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.outbound.app.models import Attempt, Delivery, Subscription
from services.outbound.app.uow import OutboundUnitOfWork
from services.outbound.domain.subscriptions import Filter, check_events, check_filter
from services.outbound.settings import OutboundSettings
from shared.errors import Conflict, Invalid, NotFound
from shared.events import CATALOG


class TargetCheck(Protocol):
    async def refusals(self, url: str) -> list[str]:
        """Why this URL may not be called (its host resolved now), or nothing."""
        ...


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def _checked_url(url: str, targets: TargetCheck) -> str:
    refused = await targets.refusals(url)
    if refused:
        raise Invalid(
            f"Refused as a webhook target: {'; '.join(refused)}.", field="url", reason="refused target"
        )
    return url


async def create(
    uow: OutboundUnitOfWork,
    targets: TargetCheck,
    *,
    url: str,
    events: list[str],
    filter: Filter,
    description: str | None,
    actor: str,
    now: datetime,
) -> Subscription:
    types = check_events(events, set(CATALOG))
    subscription = Subscription(
        subscription_id=str(uuid.uuid4()),
        url=await _checked_url(url, targets),
        events=types,
        filter=check_filter(types, filter),
        description=description,
        secret=new_secret(),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    await uow.subscriptions.add(subscription)
    return subscription


async def get(uow: OutboundUnitOfWork, subscription_id: str, *, lock: bool = False) -> Subscription:
    found = await uow.subscriptions.get(subscription_id, lock=lock)
    if found is None:
        raise NotFound(f"No subscription {subscription_id}.", field="subscription_id", reason="not found")
    return found


async def update(
    uow: OutboundUnitOfWork,
    settings: OutboundSettings,
    targets: TargetCheck,
    subscription_id: str,
    *,
    changes: dict[str, Any],
    rotate_secret: bool,
    now: datetime,
) -> Subscription:
    """Apply what the PATCH names; a re-enabled endpoint starts a new failure count, and a
    rotation keeps the old secret signing for the grace period."""
    current = await get(uow, subscription_id, lock=True)
    values = current.model_dump()
    if "url" in changes:
        values["url"] = await _checked_url(changes["url"], targets)
    events = check_events(changes["events"], set(CATALOG)) if "events" in changes else current.events
    values["events"] = events
    values["filter"] = check_filter(events, changes.get("filter", current.filter))
    if "description" in changes:
        values["description"] = changes["description"]
    if "enabled" in changes:
        enabled = bool(changes["enabled"])
        values.update(status="active" if enabled else "disabled", failing_since=None)
        values["disabled_reason"] = None if enabled else "disabled by a request"
    if rotate_secret:
        grace = timedelta(hours=settings.outbound_secret_grace_hours)
        values.update(secret=new_secret(), previous_secret=current.secret, previous_secret_until=now + grace)
    changed = Subscription(**{**values, "updated_at": now})
    await uow.subscriptions.save(changed)
    return changed


async def delete(uow: OutboundUnitOfWork, subscription_id: str) -> None:
    await get(uow, subscription_id, lock=True)
    await uow.subscriptions.delete(subscription_id)


async def log(
    uow: OutboundUnitOfWork, subscription_id: str, *, status: str | None, limit: int, before: int | None
) -> tuple[list[tuple[Delivery, list[Attempt]]], int | None]:
    """A page of the delivery log, newest first, each with its attempts; the cursor of the next page."""
    await get(uow, subscription_id)
    page = await uow.deliveries.log(subscription_id, status=status, limit=limit, before=before)
    attempts = await uow.deliveries.attempts([d.delivery_id for _, d in page])
    entries = [(d, attempts.get(d.delivery_id, [])) for _, d in page]
    return entries, (page[-1][0] if len(page) == limit else None)


async def resend(uow: OutboundUnitOfWork, subscription_id: str, delivery_id: str, now: datetime) -> Delivery:
    """Queue a delivery again, now, with a new retry window (same webhook-id: the same message)."""
    subscription = await get(uow, subscription_id)
    delivery = await uow.deliveries.get(delivery_id, lock=True)
    if delivery is None or delivery.subscription_id != subscription_id:
        raise NotFound(
            f"No delivery {delivery_id} for this subscription.", field="delivery_id", reason="not found"
        )
    if delivery.status == "pending":
        raise Conflict("The delivery is still queued.", field="delivery_id", reason="pending")
    if subscription.status != "active":
        raise Conflict(
            "The subscription is disabled; enable it first.", field="subscription_id", reason="disabled"
        )
    again = delivery.model_copy(update={"status": "pending", "window_from": now, "next_attempt_at": now})
    await uow.deliveries.save(again)
    return again
