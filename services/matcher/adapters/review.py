"""The review queue on PostgreSQL: leads waiting for a person, filtered as people look for them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.matcher.adapters import tables as t
from services.matcher.app.models import ERASED, ReviewFilter, ReviewItem


class SqlReviewQueue:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, item: ReviewItem) -> None:
        await self._session.execute(insert(t.ReviewItem).values(**item.model_dump()))

    async def get(self, item_id: str, *, lock: bool = False) -> ReviewItem | None:
        row = await self._session.get(
            t.ReviewItem, item_id, with_for_update=lock or None, populate_existing=True
        )
        return ReviewItem.model_validate(row, from_attributes=True) if row else None

    async def list(self, where: ReviewFilter) -> list[ReviewItem]:
        item = t.ReviewItem
        query = select(item).order_by(col(item.created_at), col(item.item_id))
        if where.status != "all":
            query = query.where(col(item.status) == where.status)
        if where.reason:
            query = query.where(col(item.reason).icontains(where.reason, autoescape=True))
        if where.country:
            query = query.where(col(item.country) == where.country.upper())
        if where.account_id:
            query = query.where(col(item.candidates).contains([{"account_id": where.account_id}]))
        if where.overdue is not None and where.overdue_before is not None:
            late = (col(item.created_at) < where.overdue_before) & (col(item.status) == "open")
            query = query.where(late if where.overdue else ~late)
        rows = await self._session.scalars(query.limit(where.limit).offset(where.offset))
        return [ReviewItem.model_validate(row, from_attributes=True) for row in rows]

    async def save(self, item: ReviewItem) -> None:
        values = item.model_dump(include={"status", "resolution", "account_id", "resolved_by", "resolved_at"})
        await self._session.execute(
            update(t.ReviewItem).where(col(t.ReviewItem.item_id) == item.item_id).values(**values)
        )

    async def erase(self, lead_ids: Sequence[str], at: datetime) -> None:
        item = t.ReviewItem
        where = col(item.lead_id).in_(lead_ids)
        await self._session.execute(
            update(item)
            .where(where, col(item.status) == "open")
            .values(status="rejected", resolution=ERASED, resolved_by="erasure", resolved_at=at)
        )
        await self._session.execute(update(item).where(where).values(lead={"erased": True}, country=None))
