"""Scoring's repositories on PostgreSQL: the ports of `app.uow`, each over one session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.scoring.adapters import tables as t
from services.scoring.app.models import AccountFacts, Deal, LifecycleChange, Membership, Person
from shared.db import lock

MERGE_DAILY_POINTS = text(
    "INSERT INTO daily_points (person_id, day, kind, points)"
    " SELECT :into, day, kind, points FROM daily_points WHERE person_id = :from"
    " ON CONFLICT (person_id, day, kind) DO UPDATE SET points = daily_points.points + excluded.points"
)
# One round trip: the engagement (once: its id is the key) and, for a capped kind, the day's points.
RECORD = text(
    "WITH new AS (INSERT INTO engagements"
    " (engagement_id, person_id, kind, points, occurred_at, campaign, campaign_external_id)"
    " VALUES (:engagement_id, :person_id, :kind, :points, :occurred_at, :campaign, :campaign_external_id)"
    " ON CONFLICT DO NOTHING RETURNING engagement_id, person_id, kind, points),"
    " capped AS (INSERT INTO daily_points (person_id, day, kind, points)"
    " SELECT person_id, CAST(:day AS date), kind, points FROM new WHERE CAST(:capped AS boolean)"
    " ON CONFLICT (person_id, day, kind) DO UPDATE SET points = daily_points.points + excluded.points)"
    " SELECT engagement_id FROM new"
)


TRAINING_ROWS = text(
    "SELECT p.person_id, p.title, p.industry, p.country, p.employees, p.is_free_mail, p.unsubscribed,"
    " p.bounced, p.answers, r.reached_at, e.kind, e.n, e.points"
    " FROM people p"
    " LEFT JOIN LATERAL (SELECT min(at) AS reached_at FROM lifecycle_changes c"
    "   WHERE c.person_id = p.person_id AND c.to_stage IN ('opportunity', 'customer')) r ON true"
    " LEFT JOIN LATERAL (SELECT kind, count(*) AS n, sum(points) AS points FROM engagements g"
    "   WHERE g.person_id = p.person_id AND g.occurred_at < coalesce(r.reached_at, 'infinity')"
    "   GROUP BY kind) e ON true"
    " ORDER BY p.person_id"
)


def _person(row: t.Person) -> Person:
    return Person.model_validate(row, from_attributes=True)


class SqlPeople:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def locked(
        self, lead_id: str, model_version: str, *, points_on: tuple[date, str] | None = None
    ) -> tuple[Person, float]:
        """One round trip when the person exists, which is the common case."""
        merged_into = select(col(t.Alias.person_id)).where(col(t.Alias.lead_id) == lead_id).scalar_subquery()
        used: Any = literal(0.0)
        if points_on is not None:
            used = (
                select(col(t.DailyPoints.points))
                .where(
                    col(t.DailyPoints.person_id) == col(t.Person.person_id),
                    col(t.DailyPoints.day) == points_on[0],
                    col(t.DailyPoints.kind) == points_on[1],
                )
                .scalar_subquery()
            )
        existing = (
            select(t.Person, used)
            .where(col(t.Person.person_id) == func.coalesce(merged_into, lead_id))
            .with_for_update(of=t.Person)
            .execution_options(populate_existing=True)
        )
        found = (await self._session.execute(existing)).first()
        if found is not None:
            return _person(found[0]), float(found[1] or 0.0)
        person_id = await self._person_id_of(lead_id)
        await self._session.execute(
            insert(t.Person).values(person_id=person_id, model_version=model_version).on_conflict_do_nothing()
        )
        row = await self._session.scalar(
            select(t.Person)
            .where(col(t.Person.person_id) == person_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert row is not None
        return _person(row), 0.0

    async def _person_id_of(self, lead_id: str) -> str:
        """The person a lead id scores: itself, or the person it was merged into."""
        merged_into = await self._session.scalar(
            select(col(t.Alias.person_id)).where(col(t.Alias.lead_id) == lead_id)
        )
        return merged_into or lead_id

    async def find(self, any_id: str, *, lock: bool = False) -> Person | None:
        person_id = await self._person_id_of(any_id)
        query = select(t.Person).where(
            or_(col(t.Person.person_id) == person_id, col(t.Person.contact_id) == any_id)
        )
        query = query.execution_options(populate_existing=True)
        row = (await self._session.scalars(query.with_for_update() if lock else query)).first()
        return _person(row) if row else None

    async def by_contacts(self, contact_ids: Sequence[str], *, lock: bool = False) -> list[Person]:
        query = (
            select(t.Person)
            .where(col(t.Person.contact_id).in_(contact_ids))
            .order_by(col(t.Person.person_id))
            .execution_options(populate_existing=True)
        )
        rows = await self._session.scalars(query.with_for_update() if lock else query)
        return [_person(row) for row in rows]

    async def holding_contact(self, contact_id: str, *, other_than: str) -> Person | None:
        row = await self._session.scalar(
            select(t.Person)
            .where(col(t.Person.contact_id) == contact_id, col(t.Person.person_id) != other_than)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return _person(row) if row else None

    async def of_account(self, account_id: str) -> list[Person]:
        rows = await self._session.scalars(
            select(t.Person)
            .where(col(t.Person.account_id) == account_id)
            .order_by(col(t.Person.person_id))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return [_person(row) for row in rows]

    async def due(self, now: datetime, limit: int) -> list[Person]:
        rows = await self._session.scalars(
            select(t.Person)
            .where(col(t.Person.due_at) <= now)
            .order_by(col(t.Person.due_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        return [_person(row) for row in rows]

    async def save(self, person: Person) -> None:
        values = person.model_dump(exclude={"person_id"})
        await self._session.execute(
            update(t.Person)
            .where(col(t.Person.person_id) == person.person_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def absorb(self, into: str, merged: str) -> None:
        session, ids = self._session, {"into": into, "from": merged}
        await session.execute(
            update(t.ScoredEngagement)
            .where(col(t.ScoredEngagement.person_id) == merged)
            .values(person_id=into)
        )
        await session.execute(MERGE_DAILY_POINTS, ids)
        await session.execute(delete(t.DailyPoints).where(col(t.DailyPoints.person_id) == merged))
        await session.execute(
            update(t.LifecycleChange).where(col(t.LifecycleChange.person_id) == merged).values(person_id=into)
        )
        await session.execute(update(t.Alias).where(col(t.Alias.person_id) == merged).values(person_id=into))
        await session.execute(insert(t.Alias).values(lead_id=merged, person_id=into).on_conflict_do_nothing())
        await session.execute(delete(t.Person).where(col(t.Person.person_id) == merged))

    async def record_change(self, change: LifecycleChange) -> None:
        await self._session.execute(insert(t.LifecycleChange).values(**change.model_dump()))

    async def changes(self, person_id: str) -> list[LifecycleChange]:
        rows = await self._session.scalars(
            select(t.LifecycleChange)
            .where(col(t.LifecycleChange.person_id) == person_id)
            .order_by(col(t.LifecycleChange.id))
        )
        return [LifecycleChange.model_validate(row, from_attributes=True) for row in rows]

    async def training_rows(self) -> list[dict[str, Any]]:
        """Per person and engagement kind: its facts, when it first reached opportunity (or
        customer), and the engagement before that moment, ordered by person."""
        return [dict(row) for row in (await self._session.execute(TRAINING_ROWS)).mappings()]

    async def lock_contacts(self, contact_ids: Sequence[str]) -> None:
        await lock(self._session, *(f"scoring-contact:{c}" for c in contact_ids))


class SqlEngagements:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        engagement_id: str,
        person_id: str,
        kind: str,
        points: float,
        at: datetime,
        capped: bool,
        campaign: tuple[str | None, str | None] = (None, None),
    ) -> bool:
        new = await self._session.scalar(
            RECORD,
            {
                "engagement_id": engagement_id,
                "person_id": person_id,
                "kind": kind,
                "points": points,
                "occurred_at": at,
                "day": at.astimezone(UTC).date(),
                "capped": capped,
                "campaign": campaign[0],
                "campaign_external_id": campaign[1],
            },
        )
        return new is not None

    async def totals(self, person_id: str) -> tuple[dict[str, int], float]:
        rows = await self._session.execute(
            select(col(t.ScoredEngagement.kind), func.count(), func.sum(col(t.ScoredEngagement.points)))
            .where(col(t.ScoredEngagement.person_id) == person_id)
            .group_by(col(t.ScoredEngagement.kind))
        )
        counts, points = {}, 0.0
        for kind, count, total in rows:
            counts[kind], points = int(count), points + float(total or 0)
        return counts, points


class SqlAccounts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, account_id: str) -> AccountFacts | None:
        row = await self._session.get(t.Account, account_id, populate_existing=True)
        return AccountFacts.model_validate(row, from_attributes=True) if row else None

    async def put(self, account: AccountFacts) -> bool:
        values = account.model_dump(exclude={"account_id"})
        applied = await self._session.scalar(
            insert(t.Account)
            .values(account_id=account.account_id, **values)
            .on_conflict_do_update(
                index_elements=["account_id"], set_=values, where=col(t.Account.version) <= account.version
            )
            .returning(col(t.Account.account_id))
        )
        return applied is not None


def _closed(stage: str | None) -> bool:
    return bool(stage) and str(stage).startswith("closed")


class SqlDeals:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, opp_id: str) -> Deal | None:
        row = await self._session.get(t.Deal, opp_id, populate_existing=True)
        return Deal.model_validate(row, from_attributes=True) if row else None

    async def put(self, opp_id: str, account_id: str, stage: str | None) -> None:
        values = {"opp_id": opp_id, "account_id": account_id}
        if stage is None:
            await self._session.execute(insert(t.Deal).values(**values).on_conflict_do_nothing())
            return
        state = {"stage": stage, "is_closed": _closed(stage), "is_won": stage == "closed_won"}
        await self._session.execute(
            insert(t.Deal)
            .values(**values, **state)
            .on_conflict_do_update(index_elements=["opp_id"], set_=state)
        )

    async def any_of_account(self, account_id: str) -> bool:
        found = await self._session.scalar(
            select(col(t.Deal.opp_id)).where(col(t.Deal.account_id) == account_id)
        )
        return found is not None

    async def members(self, opp_id: str) -> list[Membership]:
        rows = await self._session.scalars(select(t.GroupMember).where(col(t.GroupMember.opp_id) == opp_id))
        return [Membership.model_validate(row, from_attributes=True) for row in rows]

    async def open_members_of_account(self, account_id: str) -> list[Membership]:
        rows = await self._session.scalars(
            select(t.GroupMember)
            .join(t.Deal, col(t.Deal.opp_id) == col(t.GroupMember.opp_id))
            .where(col(t.GroupMember.account_id) == account_id, col(t.Deal.is_closed).is_(False))
        )
        return [Membership.model_validate(row, from_attributes=True) for row in rows]

    async def put_member(self, member: Membership) -> None:
        role = member.model_dump(include={"account_id", "role", "status", "suggested_role", "is_primary"})
        await self._session.execute(
            insert(t.GroupMember)
            .values(opp_id=member.opp_id, contact_id=member.contact_id, **role)
            .on_conflict_do_update(index_elements=["opp_id", "contact_id"], set_=role)
        )

    async def remove_member(self, opp_id: str, contact_id: str) -> None:
        await self._session.execute(
            delete(t.GroupMember).where(
                col(t.GroupMember.opp_id) == opp_id, col(t.GroupMember.contact_id) == contact_id
            )
        )

    async def stage_of_contact(self, contact_id: str) -> str | None:
        rows = await self._session.execute(
            select(col(t.Deal.is_closed), col(t.Deal.is_won))
            .join(t.GroupMember, col(t.Deal.opp_id) == col(t.GroupMember.opp_id))
            .where(col(t.GroupMember.contact_id) == contact_id, col(t.GroupMember.status) == "confirmed")
        )
        states = list(rows)
        if any(won for _, won in states):
            return "customer"
        return "opportunity" if any(not closed for closed, _ in states) else None
