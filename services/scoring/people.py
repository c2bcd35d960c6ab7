"""People as rows: find one by any of its ids (lead, alias, contact), lock it, merge two."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.scoring.domain.decay import Decaying
from services.scoring.domain.lifecycle import NURTURE, rank
from services.scoring.tables import Account, Alias, DailyPoints, LifecycleChange, Person, ScoredEngagement
from shared.uow import UnitOfWork

KEPT_BEHAVIOUR_REASONS = 20  # the latest; the score itself sums them all
MERGE_DAILY_POINTS = text(
    "INSERT INTO daily_points (person_id, day, kind, points)"
    " SELECT :into, day, kind, points FROM daily_points WHERE person_id = :from"
    " ON CONFLICT (person_id, day, kind) DO UPDATE SET points = daily_points.points + excluded.points"
)


async def person_id_of(uow: UnitOfWork, lead_id: str) -> str:
    """The person a lead id scores: itself, or the person it was merged into."""
    merged_into = await uow.session.scalar(select(col(Alias.person_id)).where(col(Alias.lead_id) == lead_id))
    return merged_into or lead_id


async def locked_person(uow: UnitOfWork, lead_id: str, model_version: str) -> Person:
    """The person row of a lead (or of the person it was merged into), created if new, locked for
    this transaction. One round trip when the person exists, which is the common case."""
    person, _ = await locked_person_and_points(uow, lead_id, model_version, None)
    return person


async def locked_person_and_points(
    uow: UnitOfWork, lead_id: str, model_version: str, on: tuple[date, str] | None
) -> tuple[Person, float]:
    """`locked_person`, and the points the person already earned on `on` (a day, a kind) for the
    daily caps, read in the same round trip."""
    merged_into = select(col(Alias.person_id)).where(col(Alias.lead_id) == lead_id).scalar_subquery()
    used: Any = literal(0.0)
    if on is not None:
        used = (
            select(col(DailyPoints.points))
            .where(
                col(DailyPoints.person_id) == col(Person.person_id),
                col(DailyPoints.day) == on[0],
                col(DailyPoints.kind) == on[1],
            )
            .scalar_subquery()
        )
    existing = (
        select(Person, used)
        .where(col(Person.person_id) == func.coalesce(merged_into, lead_id))
        .with_for_update(of=Person)
    )
    found = (await uow.session.execute(existing)).first()
    if found is not None:
        return found[0], float(found[1] or 0.0)
    person_id = await person_id_of(uow, lead_id)
    await uow.session.execute(
        insert(Person).values(person_id=person_id, model_version=model_version).on_conflict_do_nothing()
    )
    person = (
        await uow.session.scalars(select(Person).where(col(Person.person_id) == person_id).with_for_update())
    ).one()
    return person, 0.0


async def find(uow: UnitOfWork, any_id: str, *, lock: bool = False) -> Person | None:
    """A person by lead id, merged lead id or contact id."""
    person_id = await person_id_of(uow, any_id)
    query = select(Person).where(or_(col(Person.person_id) == person_id, col(Person.contact_id) == any_id))
    found = (await uow.session.scalars(query.with_for_update() if lock else query)).first()
    return found


async def by_contacts(uow: UnitOfWork, contact_ids: list[str], *, lock: bool = False) -> list[Person]:
    query = select(Person).where(col(Person.contact_id).in_(contact_ids)).order_by(col(Person.person_id))
    return list((await uow.session.scalars(query.with_for_update() if lock else query)).all())


async def merge(uow: UnitOfWork, into: Person, merged: Person, half_life_days: float) -> None:
    """One person, one score: `merged` (a second lead of the same contact) joins `into`, with its
    behaviour, engagements, daily points, answers, flags and lifecycle history."""
    half_life = timedelta(days=half_life_days)
    combined = Decaying(into.behaviour_ref, into.behaviour_ref_at)
    if merged.behaviour_ref_at is not None:
        combined = combined.plus(merged.behaviour_ref, merged.behaviour_ref_at, half_life)
    into.behaviour_ref, into.behaviour_ref_at = combined.value, combined.ref_at
    for fact in ("email", "email_domain", "title", "employees", "industry", "country", "account_id"):
        if getattr(into, fact) is None:
            setattr(into, fact, getattr(merged, fact))
    into.unsubscribed = into.unsubscribed or merged.unsubscribed
    into.bounced = into.bounced or merged.bounced
    into.rejected = into.rejected or merged.rejected
    into.answers = {**merged.answers, **into.answers}
    into.last_engaged_at = max(
        (t for t in (into.last_engaged_at, merged.last_engaged_at) if t is not None), default=None
    )
    reasons = [*into.behaviour_reasons, *merged.behaviour_reasons]
    into.behaviour_reasons = sorted(reasons, key=lambda r: r.get("at") or "", reverse=True)[
        :KEPT_BEHAVIOUR_REASONS
    ]
    if rank(merged.lifecycle_stage) > rank(into.lifecycle_stage) and merged.lifecycle_stage != NURTURE:
        into.lifecycle_stage = merged.lifecycle_stage
    session, ids = uow.session, {"into": into.person_id, "from": merged.person_id}
    await session.execute(
        update(ScoredEngagement)
        .where(col(ScoredEngagement.person_id) == merged.person_id)
        .values(person_id=into.person_id)
    )
    await session.execute(MERGE_DAILY_POINTS, ids)
    await session.execute(
        text("DELETE FROM daily_points WHERE person_id = :from"), {"from": merged.person_id}
    )
    await session.execute(
        update(LifecycleChange)
        .where(col(LifecycleChange.person_id) == merged.person_id)
        .values(person_id=into.person_id)
    )
    await session.execute(
        update(Alias).where(col(Alias.person_id) == merged.person_id).values(person_id=into.person_id)
    )
    await session.execute(
        insert(Alias).values(lead_id=merged.person_id, person_id=into.person_id).on_conflict_do_nothing()
    )
    await session.execute(delete(Person).where(col(Person.person_id) == merged.person_id))
    session.expunge(merged)


async def account_of(uow: UnitOfWork, person: Person) -> Account | None:
    return await uow.session.get(Account, person.account_id) if person.account_id else None
