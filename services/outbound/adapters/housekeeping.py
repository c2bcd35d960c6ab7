"""Retention and erasure of outbound's own rows: settled deliveries with their attempts, sent
alerts, settled MAP operations and the sync log past their window; a person's data on request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.outbound.adapters import tables as t
from shared.db import delete_batch, email_hash_of

ERASED_BODY = '{"erased": true}'


class SqlHousekeeping:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def prune(self, what: str, before: datetime, batch: int) -> int:
        if what == "deliveries":
            return await self._prune_deliveries(before, batch)
        if what == "alerts":
            done = col(t.Alert.status).in_(["sent", "failed"]) & (col(t.Alert.created_at) < before)
            return await delete_batch(self._session, t.Alert, done, batch)
        if what == "sync_ops":
            settled = col(t.SyncOp.status) != "pending"
            return await delete_batch(
                self._session, t.SyncOp, settled & (col(t.SyncOp.created_at) < before), batch
            )
        return await delete_batch(self._session, t.SyncLog, col(t.SyncLog.at) < before, batch)

    async def _prune_deliveries(self, before: datetime, batch: int) -> int:
        settled = col(t.Delivery.status) != "pending"
        chosen = select(col(t.Delivery.seq)).where(settled, col(t.Delivery.created_at) < before).limit(batch)
        found = await self._session.execute(
            delete(t.Delivery).where(col(t.Delivery.seq).in_(chosen)).returning(col(t.Delivery.delivery_id))
        )
        gone = list(found.scalars())
        if gone:
            await self._session.execute(delete(t.Attempt).where(col(t.Attempt.delivery_id).in_(gone)))
        return len(gone)

    async def erase(self, person_ids: list[str], email_hash: str) -> None:
        """Queued deliveries about the person are dropped, logged ones emptied (their erasure
        itself still goes out); their MAP operations and record ids forgotten."""
        about = col(t.Delivery.key).in_(person_ids) & (col(t.Delivery.event_type) != "person.erased")
        await self._session.execute(delete(t.Delivery).where(about, col(t.Delivery.status) == "pending"))
        await self._session.execute(update(t.Delivery).where(about).values(body=ERASED_BODY))
        theirs = or_(col(t.SyncOp.person_id).in_(person_ids), email_hash_of(t.SyncOp.email) == email_hash)
        await self._session.execute(delete(t.SyncOp).where(theirs))
        await self._session.execute(delete(t.ExternalId).where(col(t.ExternalId.person_id).in_(person_ids)))
