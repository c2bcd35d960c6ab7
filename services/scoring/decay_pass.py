"""The scheduled decay pass: rescore only the people whose decayed score has become news.

Each person carries `due_at`, the moment decay moves their score a full emit step below what was
last emitted or below a threshold (see `domain.decay.next_due`). The pass reads the partial index
on `due_at` up to now, in batches locked with SKIP LOCKED (replicas share the work), so a tick
over a million people costs what the due ones cost, not the million.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from services.scoring import scorer
from services.scoring.settings import ScoringSettings
from services.scoring.tables import Person
from shared.uow import UnitOfWork

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DecayReport:
    rescored: int
    emitted: int


async def decay_pass(uow: Callable[[], UnitOfWork], settings: ScoringSettings, now: datetime) -> DecayReport:
    rescored = emitted = 0
    while True:
        async with uow() as work:
            due = (
                await work.session.scalars(
                    select(Person)
                    .where(col(Person.due_at) <= now)
                    .order_by(col(Person.due_at))
                    .limit(settings.scoring_decay_batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not due:
                return DecayReport(rescored, emitted)
            for person in due:
                # Due means the decayed score is news by construction: emit it.
                emitted += scorer.settle(work, person, settings, now, force=True)
                if person.due_at is not None and person.due_at <= now:  # float rounding at a crossing
                    person.due_at = now + timedelta(seconds=settings.scoring_decay_interval_seconds)
            await work.commit()
            rescored += len(due)


async def decay_forever(uow: Callable[[], UnitOfWork], settings: ScoringSettings) -> None:
    while True:
        await asyncio.sleep(settings.scoring_decay_interval_seconds)
        try:
            report = await decay_pass(uow, settings, datetime.now(UTC))
            if report.rescored:
                log.info("scoring.decay_pass", rescored=report.rescored, emitted=report.emitted)
        except Exception:
            log.exception("scoring.decay_pass_failed")


@contextlib.asynccontextmanager
async def scheduled(app: FastAPI) -> AsyncIterator[None]:
    """Runs the decay pass beside the service for as long as the app lives."""
    runtime = app.state.runtime
    log.info("scoring.predictive_model", status=runtime.settings.predictive_note)
    task = asyncio.create_task(decay_forever(runtime.uow, runtime.settings), name="scoring-decay")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
