"""Reps, pools and each pool turn's routing counts, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.matcher.adapters import tables as t
from services.matcher.domain.teams import StoredPool, StoredRep
from shared.db import lock


class SqlRoutingCounts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def of_pool(self, pool: str, turn: int) -> dict[str, int]:
        await lock(self._session, f"routing:{pool}")
        rows = await self._session.execute(
            select(col(t.RoutingCount.owner), col(t.RoutingCount.assigned)).where(
                col(t.RoutingCount.pool) == pool, col(t.RoutingCount.turn) == turn
            )
        )
        return {owner: count for owner, count in rows}

    async def count(self, pool: str, turn: int, owner: str) -> None:
        statement = insert(t.RoutingCount).values(pool=pool, turn=turn, owner=owner, assigned=1)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["pool", "turn", "owner"],
                set_={"assigned": t.RoutingCount.__table__.c.assigned + 1},  # type: ignore[attr-defined]
            )
        )


class SqlTeams:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def rep(self, rep_id: str, *, lock: bool = False) -> StoredRep | None:
        row = await self._session.get(t.Rep, rep_id, with_for_update=lock or None, populate_existing=True)
        return StoredRep.model_validate(row, from_attributes=True) if row else None

    async def reps(self, rep_ids: Sequence[str]) -> list[StoredRep]:
        rows = await self._session.scalars(select(t.Rep).where(col(t.Rep.rep_id).in_(list(rep_ids))))
        return [StoredRep.model_validate(row, from_attributes=True) for row in rows]

    async def all_reps(self, team: str | None, limit: int, offset: int) -> list[StoredRep]:
        query = select(t.Rep).order_by(col(t.Rep.rep_id)).limit(limit).offset(offset)
        if team is not None:
            query = query.where(col(t.Rep.team) == team)
        return [
            StoredRep.model_validate(row, from_attributes=True) for row in await self._session.scalars(query)
        ]

    async def save_rep(self, rep: StoredRep) -> None:
        await self._session.merge(t.Rep(**rep.model_dump()))

    async def pool(self, pool_id: str, *, lock: bool = False) -> StoredPool | None:
        row = await self._session.get(t.Pool, pool_id, with_for_update=lock or None, populate_existing=True)
        return StoredPool.model_validate(row, from_attributes=True) if row else None

    async def pools(self, team: str | None) -> list[StoredPool]:
        query = select(t.Pool).order_by(col(t.Pool.pool_id))
        if team is not None:
            query = query.where(col(t.Pool.team) == team)
        return [
            StoredPool.model_validate(row, from_attributes=True) for row in await self._session.scalars(query)
        ]

    async def save_pool(self, pool: StoredPool) -> None:
        await self._session.merge(t.Pool(**pool.model_dump()))
