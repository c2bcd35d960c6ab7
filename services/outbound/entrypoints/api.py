"""Outbound's routes: subscriptions, their delivery log and resend; the alerts sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Query, Response

from services.outbound.app import subscriptions
from services.outbound.app.models import SyncLogEntry
from services.outbound.entrypoints.deps import SettingsDep, TargetsDep, UowDep
from services.outbound.entrypoints.models import (
    AlertOut,
    DeliveryLog,
    DeliveryOut,
    MapSyncStatus,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)
from shared.app import CallerDep, right

router = APIRouter(tags=["outbound"])
# A subscription sends Cascade's data out: admins, and the console for the people it lets.
SUBSCRIPTIONS = right("subscriptions")


@router.post("/subscriptions", status_code=201, openapi_extra=SUBSCRIPTIONS)
async def create_subscription(
    body: SubscriptionIn, uow: UowDep, targets: TargetsDep, caller: CallerDep
) -> SubscriptionOut:
    """Subscribe a URL to event types; the answer holds its signing secret (`whsec_...`), once."""
    created = await subscriptions.create(
        uow,
        targets,
        url=body.url,
        events=body.events,
        filter=body.filter,
        description=body.description,
        actor=caller,
        now=datetime.now(UTC),
    )
    await uow.commit()
    return SubscriptionOut.of(created, with_secret=True)


@router.get("/subscriptions")
async def list_subscriptions(uow: UowDep) -> list[SubscriptionOut]:
    return [SubscriptionOut.of(s) for s in await uow.subscriptions.all()]


@router.get("/subscriptions/{subscription_id}")
async def get_subscription(subscription_id: str, uow: UowDep) -> SubscriptionOut:
    return SubscriptionOut.of(await subscriptions.get(uow, subscription_id))


@router.patch("/subscriptions/{subscription_id}", openapi_extra=SUBSCRIPTIONS)
async def update_subscription(
    subscription_id: str, body: SubscriptionPatch, uow: UowDep, settings: SettingsDep, targets: TargetsDep
) -> SubscriptionOut:
    """Change the URL, events, filter or description; `enabled` switches it on or off;
    `rotate_secret` answers with a new secret."""
    changed = await subscriptions.update(
        uow,
        settings,
        targets,
        subscription_id,
        changes=body.model_dump(exclude_unset=True, exclude={"rotate_secret"}, exclude_none=True),
        rotate_secret=body.rotate_secret,
        now=datetime.now(UTC),
    )
    await uow.commit()
    return SubscriptionOut.of(changed, with_secret=body.rotate_secret)


@router.delete("/subscriptions/{subscription_id}", status_code=204, openapi_extra=SUBSCRIPTIONS)
async def delete_subscription(subscription_id: str, uow: UowDep) -> Response:
    await subscriptions.delete(uow, subscription_id)
    await uow.commit()
    return Response(status_code=204)


@router.get("/subscriptions/{subscription_id}/deliveries")
async def deliveries(
    subscription_id: str,
    uow: UowDep,
    status: Literal["pending", "delivered", "failed"] | None = None,
    limit: int = Query(50, ge=1, le=500),
    before: int | None = Query(None, ge=0, le=2**62),
) -> DeliveryLog:
    """The delivery log, newest first: each delivery's attempts with their response codes."""
    entries, cursor = await subscriptions.log(uow, subscription_id, status=status, limit=limit, before=before)
    return DeliveryLog(deliveries=[DeliveryOut.of(d, a) for d, a in entries], next_before=cursor)


@router.post(
    "/subscriptions/{subscription_id}/deliveries/{delivery_id}/resend",
    status_code=202,
    openapi_extra=SUBSCRIPTIONS,
)
async def resend(subscription_id: str, delivery_id: str, uow: UowDep) -> DeliveryOut:
    """Send a delivered or failed delivery again (the same `webhook-id`), now."""
    again = await subscriptions.resend(uow, subscription_id, delivery_id, datetime.now(UTC))
    await uow.commit()
    return DeliveryOut.of(again, [])


@router.get("/alerts")
async def alerts(
    uow: UowDep, kind: str | None = Query(None, max_length=100), limit: int = Query(50, ge=1, le=500)
) -> list[AlertOut]:
    """The alerts queued and sent, newest first."""
    return [AlertOut.of(a) for a in await uow.alerts.recent(limit, kind)]


@router.get("/map-sync")
async def map_sync_status(uow: UowDep, settings: SettingsDep) -> MapSyncStatus:
    """Which MAPs are synced, the lists segments map to, and the queue by status."""
    return MapSyncStatus(
        hubspot_lists=settings.outbound_hubspot_lists if settings.hubspot_on else {},
        marketo_lists=settings.outbound_marketo_lists if settings.marketo_on else {},
        operations=await uow.sync.counts(),
    )


@router.get("/map-sync/log")
async def map_sync_log(
    uow: UowDep,
    system: Literal["hubspot", "marketo"] | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[SyncLogEntry]:
    """The requests made to the MAPs, newest first: what, how many records, the answer."""
    return await uow.sync.recent(limit, system)
