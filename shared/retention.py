"""Retention: what a service keeps only for a while is pruned on a clock, in short batches.

Every service prunes its inbox (processed-event ids, kept longer than the outbox's replay window
so a replayed event is still recognised) and its dead letters; a service adds its own windows
(ingest: raw webhook bodies, answers, receipts, resolved quarantine) as a `Pruner`. Published
outbox rows are pruned by the relay (`outbox_retention_hours`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from shared.jobs import Job, UowFactory
from shared.settings import Settings

log = structlog.get_logger(__name__)
BATCH = 5000
# One kind of row past its window: (uow, now, batch) -> rows pruned (fewer than batch: done).
Pruner = Callable[[Any, datetime, int], Awaitable[int]]


def platform_pruners(settings: Settings) -> dict[str, Pruner]:
    def older(table: str, days: float) -> Pruner:
        async def prune(uow: Any, now: datetime, batch: int) -> int:
            pruned: int = await uow.prune(table, now - timedelta(days=days), batch)
            return pruned

        return prune

    return {
        "inbox": older("inbox", settings.inbox_retention_days),
        "dead_letters": older("dead_letters", settings.dead_letter_retention_days),
    }


async def prune_all(uows: UowFactory, pruners: dict[str, Pruner], now: datetime) -> dict[str, int]:
    """Run each pruner in batches until it finds nothing more; rows pruned by name."""
    pruned: dict[str, int] = {}
    for name, prune in pruners.items():
        total, more = 0, True
        while more:
            async with uows() as uow:
                count = await prune(uow, now, BATCH)
                await uow.commit()
            total, more = total + count, count >= BATCH
        if total:
            pruned[name] = total
    if pruned:
        log.info("retention.pruned", **pruned)
    return pruned


def retention_job(own: Callable[[Any], dict[str, Pruner]] | None = None) -> Job:
    """The service's retention job: the platform's windows and the service's `own`."""

    async def run(uows: UowFactory, settings: Any) -> dict[str, int]:
        pruners = {**platform_pruners(settings), **(own(settings) if own else {})}
        return await prune_all(uows, pruners, datetime.now(UTC))

    return Job("retention", every=lambda s: s.retention_interval_seconds, run=run)
