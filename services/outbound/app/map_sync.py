"""MAP sync: a segment change becomes a list operation per MAP whose list the segment maps to;
the sync pass sends them in batches (the person's facts first, which also finds their record
id), retries what failed for a window and logs every request."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from services.outbound.app.models import SyncLogEntry, SyncOp
from services.outbound.app.uow import OutboundUnitOfWork
from services.outbound.domain.retry import RetryPolicy, next_delay
from services.outbound.settings import OutboundSettings
from shared.events import SegmentMembershipChanged

BATCH = 300
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Push:
    person_id: str
    email: str
    facts: dict[str, Any]
    record_id: str | None = None  # the MAP's id of the person, when known from an earlier sync


class RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:g}s")
        self.retry_after = retry_after


class MapFailure(Exception):
    def __init__(self, detail: str, *, retryable: bool) -> None:
        super().__init__(detail)
        self.retryable = retryable


class MapApi(Protocol):
    system: str

    async def write_people(self, people: list[Push]) -> dict[str, str]:
        """Write each person's facts (found by email); their record ids, by person id (a person
        the MAP does not hold is left out). RateLimited or MapFailure when it cannot."""
        ...

    async def change_list(self, list_id: str, op: str, record_ids: list[str]) -> None:
        """Add the records to the list, or remove them."""
        ...

    def drain_log(self) -> list[SyncLogEntry]:
        """The requests made since the last drain."""
        ...


def lists_of(settings: OutboundSettings, system: str) -> dict[str, str]:
    return settings.outbound_hubspot_lists if system == "hubspot" else settings.outbound_marketo_lists


def systems(settings: OutboundSettings) -> list[str]:
    return [name for name, on in (("hubspot", settings.hubspot_on), ("marketo", settings.marketo_on)) if on]


async def enqueue(
    uow: OutboundUnitOfWork, settings: OutboundSettings, event: SegmentMembershipChanged
) -> int:
    """One operation per MAP whose list the segment maps to (a person without email is skipped)."""
    if not event.email:
        return 0
    now = datetime.now(UTC)
    op = "add" if event.change == "added" else "remove"
    queued = [
        SyncOp(
            system=system,
            op=op,
            list_id=lists_of(settings, system)[event.segment_id],
            person_id=event.person_id,
            email=event.email,
            facts=event.facts,
            next_attempt_at=now,
            created_at=now,
        )
        for system in systems(settings)
        if event.segment_id in lists_of(settings, system)
    ]
    await uow.sync.add(queued)
    return len(queued)


async def sync_due(
    uows: Callable[[], OutboundUnitOfWork], settings: OutboundSettings, apis: list[MapApi]
) -> int:
    """Send each MAP's due operations until none is due; how many were settled."""
    settled = 0
    for api in apis:
        while True:
            now = datetime.now(UTC)
            async with uows() as uow:
                ops = await uow.sync.claim_due(api.system, now, now + LEASE, BATCH)
                known = await uow.sync.ids(api.system, [op.person_id for op in ops])
                await uow.commit()
            if not ops:
                break
            ids, error = await _send(api, ops, known)
            async with uows() as uow:
                await uow.sync.put_ids(api.system, ids)
                for op in ops:
                    await uow.sync.save(_after(op, ids, error, settings, datetime.now(UTC)))
                await uow.sync.log(api.drain_log())
                await uow.commit()
            settled += len(ops)
            if len(ops) < BATCH:
                break
    return settled


async def _send(
    api: MapApi, ops: list[SyncOp], known: dict[str, str]
) -> tuple[dict[str, str], Exception | None]:
    latest = {op.person_id: Push(op.person_id, op.email, op.facts, known.get(op.person_id)) for op in ops}
    try:
        ids = await api.write_people(list(latest.values()))
        groups: dict[tuple[str, str], list[str]] = {}
        for op in ops:
            if op.person_id in ids:
                groups.setdefault((op.list_id, op.op), []).append(ids[op.person_id])
        for (list_id, kind), record_ids in groups.items():
            await api.change_list(list_id, kind, record_ids)
    except (RateLimited, MapFailure) as exc:
        return {}, exc
    return ids, None


def _after(
    op: SyncOp, ids: dict[str, str], error: Exception | None, settings: OutboundSettings, now: datetime
) -> SyncOp:
    if error is None:
        done = op.person_id in ids
        status, why = ("done", None) if done else ("skipped", f"no {op.system} record has this email")
        return op.model_copy(
            update={"status": status, "last_error": why, "done_at": now, "attempts": op.attempts + 1}
        )
    if isinstance(error, RateLimited):  # not the operation's fault: no attempt counted
        return op.model_copy(
            update={"next_attempt_at": now + timedelta(seconds=error.retry_after), "last_error": str(error)}
        )
    window = timedelta(hours=settings.outbound_map_retry_window_hours)
    attempts = op.attempts + 1
    policy = RetryPolicy(base_seconds=5.0, max_seconds=900.0, window=window, disable_after=window)
    retry_at = now + timedelta(seconds=next_delay(policy, attempts, random.random()))
    retryable = isinstance(error, MapFailure) and error.retryable and retry_at - op.created_at <= window
    return op.model_copy(
        update={
            "status": "pending" if retryable else "failed",
            "attempts": attempts,
            "last_error": str(error)[:500],
            "next_attempt_at": retry_at,
        }
    )
