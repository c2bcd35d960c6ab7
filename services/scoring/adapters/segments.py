"""Segment membership on PostgreSQL: the `Segments` port."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.scoring.adapters import tables as t
from services.scoring.app.models import SegmentMember
from services.scoring.domain.segments import Seat

SEATS = text(
    "SELECT m.opp_id, m.status, m.role, m.suggested_role, d.stage, NOT d.is_closed AS open,"
    " ARRAY(SELECT DISTINCT c.role FROM group_members c WHERE c.opp_id = m.opp_id"
    "   AND c.status = 'confirmed' AND c.role IS NOT NULL) AS covered"
    " FROM group_members m JOIN deals d ON d.opp_id = m.opp_id WHERE m.contact_id = :contact_id"
    " ORDER BY m.opp_id"
)
OF_PERSON = text(
    "SELECT coalesce((SELECT jsonb_object_agg(segment_id, detail) FROM segment_members"
    "   WHERE person_id = :person_id), '{}'::jsonb) AS segments,"
    " (SELECT due_at FROM segment_due WHERE person_id = :person_id) AS due_at"
)
DUE = text(
    "SELECT person_id FROM segment_due WHERE due_at <= :now"
    " ORDER BY due_at LIMIT :limit FOR UPDATE SKIP LOCKED"
)


class SqlSegments:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def seats(self, contact_id: str) -> list[Seat]:
        rows = (await self._session.execute(SEATS, {"contact_id": contact_id})).mappings()
        return [Seat(**{**row, "covered": frozenset(row["covered"])}) for row in rows]

    async def of_person(self, person_id: str) -> tuple[dict[str, dict[str, Any]], datetime | None]:
        row = (await self._session.execute(OF_PERSON, {"person_id": person_id})).one()
        return dict(row.segments), row.due_at

    async def put(self, person_id: str, segment_id: str, detail: dict[str, Any], now: datetime) -> None:
        await self._session.execute(
            insert(t.SegmentMember)
            .values(segment_id=segment_id, person_id=person_id, detail=detail, added_at=now)
            .on_conflict_do_update(index_elements=["segment_id", "person_id"], set_={"detail": detail})
        )

    async def remove(self, person_id: str, segment_id: str) -> None:
        await self._session.execute(
            delete(t.SegmentMember).where(
                col(t.SegmentMember.person_id) == person_id, col(t.SegmentMember.segment_id) == segment_id
            )
        )

    async def set_due(self, person_id: str, due_at: datetime | None) -> None:
        if due_at is None:
            await self._session.execute(delete(t.SegmentDue).where(col(t.SegmentDue.person_id) == person_id))
            return
        await self._session.execute(
            insert(t.SegmentDue)
            .values(person_id=person_id, due_at=due_at)
            .on_conflict_do_update(index_elements=["person_id"], set_={"due_at": due_at})
        )

    async def due(self, now: datetime, limit: int) -> list[str]:
        return list((await self._session.execute(DUE, {"now": now, "limit": limit})).scalars())

    async def counts(self) -> dict[str, int]:
        query = select(col(t.SegmentMember.segment_id), func.count()).group_by(
            col(t.SegmentMember.segment_id)
        )
        return {segment: int(n) for segment, n in await self._session.execute(query)}

    async def members(self, segment_id: str, *, limit: int, after: str | None) -> list[SegmentMember]:
        query = select(t.SegmentMember).where(col(t.SegmentMember.segment_id) == segment_id)
        if after is not None:
            query = query.where(col(t.SegmentMember.person_id) > after)
        rows = await self._session.scalars(query.order_by(col(t.SegmentMember.person_id)).limit(limit))
        return [SegmentMember.model_validate(row, from_attributes=True) for row in rows]
