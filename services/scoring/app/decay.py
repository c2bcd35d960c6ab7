"""The scheduled decay pass: rescore only the people whose decayed score has become news.

Each person carries `due_at`, the moment decay moves their score a full emit step below what was
last emitted or below a threshold (see `domain.decay.next_due`). The pass reads the people due up
to now, in batches locked with SKIP LOCKED (replicas share the work), so a tick over a million
people costs what the due ones cost, not the million.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.scoring.app import scorer
from services.scoring.app.uow import ScoringUnitOfWork
from services.scoring.settings import ScoringSettings
from shared.jobs import Job


@dataclass(frozen=True)
class DecayReport:
    rescored: int
    emitted: int

    def __bool__(self) -> bool:
        return self.rescored > 0


async def decay_pass(
    uows: Callable[[], ScoringUnitOfWork], settings: ScoringSettings, now: datetime
) -> DecayReport:
    rescored = emitted = 0
    while True:
        async with uows() as uow:
            due = await uow.people.due(now, settings.scoring_decay_batch_size)
            if not due:
                return DecayReport(rescored, emitted)
            for person in due:
                # Due means the decayed score is news by construction: emit it.
                emitted += await scorer.settle(uow, person, settings, now, force=True)
                if person.due_at is not None and person.due_at <= now:  # float rounding at a crossing
                    person.due_at = now + timedelta(seconds=settings.scoring_decay_interval_seconds)
                    await uow.people.save(person)
            await uow.commit()
            rescored += len(due)


async def decay_now(uows: Callable[[], ScoringUnitOfWork], settings: ScoringSettings) -> DecayReport:
    return await decay_pass(uows, settings, datetime.now(UTC))


DECAY = Job("decay-pass", every=lambda s: s.scoring_decay_interval_seconds, run=decay_now)
