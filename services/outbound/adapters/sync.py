"""The MAP sync queue, the MAP record ids of people and the sync log on PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.outbound.adapters import tables as t
from services.outbound.app.models import SyncLogEntry, SyncOp

CLAIM = text(
    "UPDATE sync_ops SET next_attempt_at = :lease_until WHERE seq IN ("
    " SELECT o.seq FROM sync_ops o WHERE o.system = :system AND o.status = 'pending'"
    " AND o.next_attempt_at <= :now AND NOT EXISTS (SELECT 1 FROM sync_ops e WHERE e.status = 'pending'"
    "   AND e.system = o.system AND e.person_id = o.person_id AND e.seq < o.seq)"
    " ORDER BY o.seq LIMIT :limit FOR UPDATE SKIP LOCKED) RETURNING *"
)


class SqlSync:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, ops: list[SyncOp]) -> None:
        if ops:
            await self._session.execute(insert(t.SyncOp).values([o.model_dump(exclude={"seq"}) for o in ops]))

    async def claim_due(self, system: str, now: datetime, lease_until: datetime, limit: int) -> list[SyncOp]:
        params = {"system": system, "now": now, "lease_until": lease_until, "limit": limit}
        rows = (await self._session.execute(CLAIM, params)).mappings().all()
        found = [SyncOp(**{name: r[name] for name in SyncOp.model_fields}) for r in rows]
        return sorted(
            (o.model_copy(update={"next_attempt_at": now}) for o in found), key=lambda o: o.seq or 0
        )

    async def save(self, op: SyncOp) -> None:
        values = op.model_dump(include={"status", "attempts", "last_error", "next_attempt_at", "done_at"})
        await self._session.execute(update(t.SyncOp).where(col(t.SyncOp.seq) == op.seq).values(**values))

    async def ids(self, system: str, person_ids: list[str]) -> dict[str, str]:
        query = select(col(t.ExternalId.person_id), col(t.ExternalId.external_id)).where(
            col(t.ExternalId.system) == system, col(t.ExternalId.person_id).in_(person_ids)
        )
        return {person: external for person, external in await self._session.execute(query)}

    async def put_ids(self, system: str, ids: dict[str, str]) -> None:
        if ids:
            rows = [{"system": system, "person_id": p, "external_id": e} for p, e in ids.items()]
            statement = insert(t.ExternalId).values(rows)
            await self._session.execute(
                statement.on_conflict_do_update(
                    index_elements=["system", "person_id"],
                    set_={"external_id": statement.excluded.external_id},
                )
            )

    async def log(self, entries: list[SyncLogEntry]) -> None:
        if entries:
            await self._session.execute(insert(t.SyncLog).values([e.model_dump() for e in entries]))

    async def recent(self, limit: int, system: str | None) -> list[SyncLogEntry]:
        query = select(t.SyncLog)
        if system is not None:
            query = query.where(col(t.SyncLog.system) == system)
        rows = await self._session.scalars(query.order_by(col(t.SyncLog.id).desc()).limit(limit))
        return [SyncLogEntry.model_validate(r, from_attributes=True) for r in rows]

    async def counts(self) -> dict[str, dict[str, int]]:
        query = select(col(t.SyncOp.system), col(t.SyncOp.status), func.count()).group_by(
            col(t.SyncOp.system), col(t.SyncOp.status)
        )
        found: dict[str, dict[str, int]] = {}
        for system, status, n in await self._session.execute(query):
            found.setdefault(system, {})[status] = int(n)
        return found
