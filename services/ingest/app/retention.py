"""What ingest keeps only for a while, beside the platform's inbox and dead letters: raw webhook
bodies (emptied; the answer stays, so a late redelivery is still answered as before), delivery
answers and item receipts (deleted: a redelivery older than that is taken as new), and resolved
quarantine items (an open one stays until a person fixes or discards it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.ingest.app.uow import IngestUnitOfWork
from services.ingest.settings import IngestSettings
from shared.retention import Pruner, retention_job


def pruners(settings: IngestSettings) -> dict[str, Pruner]:
    def days(n: float, now: datetime) -> datetime:
        return now - timedelta(days=n)

    async def bodies(uow: IngestUnitOfWork, now: datetime, batch: int) -> int:
        return await uow.deliveries.empty_bodies(days(settings.webhook_body_retention_days, now), batch, now)

    async def answers(uow: IngestUnitOfWork, now: datetime, batch: int) -> int:
        return await uow.deliveries.prune(days(settings.webhook_answer_retention_days, now), batch)

    async def receipts(uow: IngestUnitOfWork, now: datetime, batch: int) -> int:
        return await uow.receipts.prune(days(settings.webhook_answer_retention_days, now), batch)

    async def quarantine(uow: IngestUnitOfWork, now: datetime, batch: int) -> int:
        return await uow.quarantine.prune(days(settings.quarantine_retention_days, now), batch)

    return {
        "webhook_bodies": bodies,
        "webhook_answers": answers,
        "webhook_receipts": receipts,
        "quarantine": quarantine,
    }


RETENTION = retention_job(pruners)
