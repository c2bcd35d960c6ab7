"""Handoffs and the copies of reps and pools, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlmodel import col

from services.opportunity.adapters import tables as t
from services.opportunity.app.models import Handoff
from shared.db import lock
from shared.events.teams import PoolFields, RepFields


class SqlTeams:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def put_rep(self, rep: RepFields, version: int) -> None:
        await self._put(t.RepCopy, "rep_id", rep.rep_id, rep.team, rep.model_dump(mode="json"), version)

    async def put_pool(self, pool: PoolFields, version: int) -> None:
        await self._put(t.PoolCopy, "pool_id", pool.pool_id, pool.team, pool.model_dump(mode="json"), version)

    async def _put(
        self,
        table: type[t.RepCopy] | type[t.PoolCopy],
        key: str,
        value: str,
        team: str,
        fields: dict[str, Any],
        version: int,
    ) -> None:
        values = {"team": team, "fields": fields, "version": version}
        statement = insert(table).values({key: value, **values})
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[key],
                set_=values,
                where=col(table.version) <= version,  # a stale event changes nothing
            )
        )

    async def reps(self, rep_ids: Sequence[str]) -> list[RepFields]:
        rows = await self._session.scalars(
            select(col(t.RepCopy.fields)).where(col(t.RepCopy.rep_id).in_(list(rep_ids)))
        )
        return [RepFields.model_validate(fields) for fields in rows]

    async def pools(self, team: str) -> list[PoolFields]:
        rows = await self._session.scalars(
            select(col(t.PoolCopy.fields))
            .where(col(t.PoolCopy.team) == team)
            .order_by(col(t.PoolCopy.pool_id))
        )
        return [PoolFields.model_validate(fields) for fields in rows]


def _handoff(row: t.Handoff) -> Handoff:
    return Handoff.model_validate(row, from_attributes=True)


class SqlHandoffs:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, handoff: Handoff) -> None:
        await self._session.execute(insert(t.Handoff).values(**handoff.model_dump()))

    async def save(self, handoff: Handoff) -> None:
        await self._session.execute(
            update(t.Handoff)
            .where(col(t.Handoff.handoff_id) == handoff.handoff_id)
            .values(**handoff.model_dump(exclude={"handoff_id"}))
            .execution_options(synchronize_session=False)
        )

    async def _current(self, column: Mapped[str | None], value: str) -> Handoff | None:
        row = await self._session.scalar(
            select(t.Handoff)
            .where(column == value, col(t.Handoff.status).in_(("open", "accepted")))
            .order_by(col(t.Handoff.assigned_at).desc())
            .limit(1)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return _handoff(row) if row else None

    async def current_of_opp(self, opp_id: str) -> Handoff | None:
        return await self._current(col(t.Handoff.opp_id), opp_id)

    async def current_of_contact(self, contact_id: str) -> Handoff | None:
        return await self._current(col(t.Handoff.contact_id), contact_id)

    async def current_of_opps(self, opp_ids: Sequence[str]) -> list[Handoff]:
        rows = await self._session.scalars(
            select(t.Handoff)
            .where(col(t.Handoff.opp_id).in_(list(opp_ids)), col(t.Handoff.status).in_(("open", "accepted")))
            .order_by(col(t.Handoff.opp_id), col(t.Handoff.assigned_at).desc())
            .ext(distinct_on(col(t.Handoff.opp_id)))
        )
        return [_handoff(row) for row in rows]

    async def _of(self, column: Mapped[str | None], value: str) -> list[Handoff]:
        rows = await self._session.scalars(
            select(t.Handoff).where(column == value).order_by(col(t.Handoff.assigned_at))
        )
        return [_handoff(row) for row in rows]

    async def of_opp(self, opp_id: str) -> list[Handoff]:
        return await self._of(col(t.Handoff.opp_id), opp_id)

    async def of_contact(self, contact_id: str) -> list[Handoff]:
        return await self._of(col(t.Handoff.contact_id), contact_id)

    async def turn_counts(self, pool_id: str, turn: int) -> dict[str, int]:
        await lock(self._session, f"handoff-pool:{pool_id}")
        rows = await self._session.execute(
            select(col(t.Handoff.owner), func.count())
            .where(col(t.Handoff.pool_id) == pool_id, col(t.Handoff.turn) == turn)
            .where(col(t.Handoff.rule).in_(("round_robin", "sticky")))
            .group_by(col(t.Handoff.owner))
        )
        return {owner: count for owner, count in rows if owner is not None}

    async def open_work(self, rep_ids: Sequence[str]) -> dict[str, int]:
        rows = await self._session.execute(
            select(col(t.Handoff.owner), func.count())
            .where(col(t.Handoff.owner).in_(list(rep_ids)), col(t.Handoff.status).in_(("open", "accepted")))
            .where(col(t.Handoff.closed_at).is_(None))
            .group_by(col(t.Handoff.owner))
        )
        return {owner: count for owner, count in rows if owner is not None}

    async def last_owner(self, account_id: str, pool_id: str) -> str | None:
        return await self._session.scalar(
            select(col(t.Handoff.owner))
            .where(col(t.Handoff.account_id) == account_id, col(t.Handoff.pool_id) == pool_id)
            .where(col(t.Handoff.status) != "reassigned")
            .order_by(col(t.Handoff.assigned_at).desc())
            .limit(1)
        )

    async def owners(self, opp_id: str | None, contact_id: str | None, stage: str) -> set[str]:
        subject = col(t.Handoff.opp_id) == opp_id if opp_id else col(t.Handoff.contact_id) == contact_id
        rows = await self._session.scalars(
            select(col(t.Handoff.owner))
            .where(subject, col(t.Handoff.stage) == stage)
            .where(col(t.Handoff.status) == "reassigned")
        )
        return {owner for owner in rows if owner}

    async def overdue(self, kind: str, now: datetime, batch: int) -> list[Handoff]:
        rows = await self._session.scalars(
            select(t.Handoff)
            .where(col(t.Handoff.status) == "open", col(t.Handoff.due_at) < now)
            .where(col(t.Handoff.escalated_at).is_(None), col(t.Handoff.kind) == kind)
            .order_by(col(t.Handoff.due_at))
            .limit(batch)
        )
        return [_handoff(row) for row in rows]

    async def escalated_before(self, kind: str, before: datetime, batch: int) -> list[Handoff]:
        rows = await self._session.scalars(
            select(t.Handoff)
            .where(col(t.Handoff.status) == "open", col(t.Handoff.escalated_at) < before)
            .where(col(t.Handoff.kind) == kind)
            .order_by(col(t.Handoff.escalated_at))
            .limit(batch)
        )
        return [_handoff(row) for row in rows]
