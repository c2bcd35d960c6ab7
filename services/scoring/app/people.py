"""One person, one score: a second lead converted to the same contact joins the person who
already holds it, with its behaviour, engagements, answers, flags and lifecycle history."""

from __future__ import annotations

from datetime import timedelta

from services.scoring.app.models import AccountFacts, Person
from services.scoring.app.uow import ScoringUnitOfWork
from services.scoring.domain.decay import Decaying
from services.scoring.domain.lifecycle import NURTURE, rank
from shared.events import is_erased

KEPT_BEHAVIOUR_REASONS = 20  # the latest; the score itself sums them all
FACTS = ("email", "email_domain", "title", "employees", "industry", "country", "account_id")


async def merge(uow: ScoringUnitOfWork, into: Person, merged: Person, half_life_days: float) -> None:
    half_life = timedelta(days=half_life_days)
    combined = Decaying(into.behaviour_ref, into.behaviour_ref_at)
    if merged.behaviour_ref_at is not None:
        combined = combined.plus(merged.behaviour_ref, merged.behaviour_ref_at, half_life)
    into.behaviour_ref, into.behaviour_ref_at = combined.value, combined.ref_at
    for fact in FACTS:
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
    await uow.people.absorb(into.person_id, merged.person_id)


async def living(uow: ScoringUnitOfWork, lead_id: str, model_version: str) -> Person | None:
    """The person, locked; None when they were erased (an event about them changes nothing)."""
    person = await locked(uow, lead_id, model_version)
    return None if is_erased(person.email) else person


async def account_of(uow: ScoringUnitOfWork, person: Person) -> AccountFacts | None:
    return await uow.accounts.get(person.account_id) if person.account_id else None


async def locked(uow: ScoringUnitOfWork, lead_id: str, model_version: str) -> Person:
    person, _ = await uow.people.locked(lead_id, model_version)
    return person
