"""What outbound keeps only for a while (beside the platform's inbox and dead letters), and what
it forgets of an erased person."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.outbound.app.uow import OutboundUnitOfWork
from services.outbound.settings import OutboundSettings
from shared.events import PersonErased
from shared.retention import Pruner, retention_job


def pruners(settings: OutboundSettings) -> dict[str, Pruner]:
    def older(what: str, days: float) -> Pruner:
        async def prune(uow: OutboundUnitOfWork, now: datetime, batch: int) -> int:
            return await uow.housekeeping.prune(what, now - timedelta(days=days), batch)

        return prune

    logs = settings.outbound_log_retention_days
    return {
        "deliveries": older("deliveries", settings.outbound_delivery_retention_days),
        **{what: older(what, logs) for what in ("alerts", "sync_ops", "sync_log")},
    }


async def erase(uow: OutboundUnitOfWork, event: PersonErased) -> None:
    ids = [*event.lead_ids, *event.contact_ids]
    await uow.housekeeping.erase(ids, event.email_hash)
    await uow.forget(ids)


RETENTION = retention_job(pruners)
