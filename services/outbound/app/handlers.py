"""Outbound's handler: every event of the catalog may be wanted by a subscription, an alert rule
or (segment membership) the MAP sync, so one handler takes them all."""

from __future__ import annotations

from datetime import UTC, datetime

from services.outbound.app import alerts, deliveries, housekeeping, map_sync
from services.outbound.app.uow import OutboundUnitOfWork
from services.outbound.settings import OutboundSettings
from shared.events import CATALOG, Envelope, Event, PersonErased, SegmentMembershipChanged
from shared.messaging import Handler


async def on_event(
    event: Event, envelope: Envelope, uow: OutboundUnitOfWork, settings: OutboundSettings
) -> None:
    now = datetime.now(UTC)
    if isinstance(event, PersonErased):
        await housekeeping.erase(uow, event)
    await deliveries.enqueue(uow, envelope, now)
    await alerts.raise_alert(uow, settings, envelope.type, envelope.data, now)
    if isinstance(event, SegmentMembershipChanged):
        await map_sync.enqueue(uow, settings, event)


HANDLERS: dict[type[Event], Handler] = {cls: on_event for cls in CATALOG.values()}
