"""A person's score erased on PostgreSQL: the row stays (a late event then finds it erased and
changes nothing) with no fact, reason, engagement or history left."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.scoring.adapters import tables as t
from shared.db import email_hash_of
from shared.events.people import ERASED_DOMAIN

NOTHING: dict[str, Any] = {
    "email_domain": None,
    "title": None,
    "employees": None,
    "industry": None,
    "country": None,
    "rejected": None,
    "answers": {},
    "fit": 0.0,
    "negative": 0.0,
    "behaviour": 0.0,
    "score": 0.0,
    "behaviour_ref": 0.0,
    "behaviour_ref_at": None,
    "emitted_score": None,
    "due_at": None,
    "last_engaged_at": None,
    "fit_reasons": [],
    "negative_reasons": [],
    "behaviour_reasons": [],
}


class SqlErasure:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def erase(
        self, lead_ids: list[str], contact_ids: list[str], email_hash: str, model_version: str
    ) -> list[str]:
        person = t.Person
        merged = select(col(t.Alias.person_id)).where(col(t.Alias.lead_id).in_(lead_ids))
        erased = (
            await self._session.execute(
                update(person)
                .where(
                    col(person.person_id).in_(lead_ids)
                    | col(person.person_id).in_(merged)
                    | col(person.contact_id).in_(contact_ids)
                    | (email_hash_of(col(person.email)) == email_hash)
                )
                .values(email=func.concat(col(person.person_id), "@", ERASED_DOMAIN), **NOTHING)
                .returning(col(person.person_id), col(person.contact_id))
            )
        ).all()
        people = [row[0] for row in erased]
        for table in (t.ScoredEngagement, t.DailyPoints, t.LifecycleChange, t.SegmentMember, t.SegmentDue):
            await self._session.execute(delete(table).where(col(table.person_id).in_(people)))
        await self._tombstones([lead for lead in lead_ids if lead not in people], model_version)
        return [*people, *(row[1] for row in erased if row[1])]

    async def _tombstones(self, lead_ids: list[str], model_version: str) -> None:
        """A lead erased before its `lead.created` arrived here."""
        if not lead_ids:
            return
        rows = [
            {"person_id": lead, "email": f"{lead}@{ERASED_DOMAIN}", "model_version": model_version}
            for lead in lead_ids
        ]
        await self._session.execute(upsert(t.Person).values(rows).on_conflict_do_nothing())
