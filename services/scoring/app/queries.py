"""What scoring answers about people and buying groups, and the lifecycle moves sales makes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from services.scoring.app import scorer
from services.scoring.app.models import Membership, Person
from services.scoring.app.uow import ScoringUnitOfWork
from services.scoring.domain import lifecycle
from services.scoring.domain.buying_group import GroupEngagement, Member, group_engagement
from services.scoring.predictive.features import feature_row
from services.scoring.settings import ScoringSettings
from shared.errors import Conflict, NotFound


async def person(uow: ScoringUnitOfWork, person_id: str, *, lock: bool = False) -> Person:
    found = await uow.people.find(person_id, lock=lock)
    if found is None:
        raise NotFound(f"No score for {person_id}.")
    return found


async def predicted(
    uow: ScoringUnitOfWork, person: Person, settings: ScoringSettings
) -> tuple[float, list[tuple[str, float]]]:
    """The predictive model's 0-100 likelihood for the person, with its top factors."""
    counts, points = await uow.engagements.totals(person.person_id)
    row = feature_row(settings.scoring_model, person.model_dump(), counts, points=points)
    likelihood, factors = await asyncio.to_thread(settings.predictive.likelihood, row)
    return likelihood, factors


async def move_lifecycle(
    uow: ScoringUnitOfWork,
    settings: ScoringSettings,
    person_id: str,
    stage: str,
    *,
    reason: str | None,
    actor: str,
) -> Person:
    """Sales accepts (sal), qualifies (sql) or recycles (nurture, with a reason) a person."""
    found = await person(uow, person_id, lock=True)
    try:
        to = lifecycle.by_sales(found.lifecycle_stage, stage, reason)
    except lifecycle.TransitionRefused as refused:
        raise Conflict(str(refused), errors=[{"field": "stage", "reason": str(refused)}]) from None
    now = datetime.now(UTC)
    change = lifecycle.Change(found.lifecycle_stage, to, now, actor, reason or f"{to} by {actor}")
    await scorer.settle(uow, found, settings, now, change=await scorer.move(uow, found, change))
    return found


async def opp_group(
    uow: ScoringUnitOfWork, settings: ScoringSettings, opp_id: str
) -> tuple[str, GroupEngagement]:
    """The opp's account and its buying group's engagement."""
    deal = await uow.deals.get(opp_id)
    if deal is None:
        raise NotFound(f"Scoring knows no opportunity {opp_id}.")
    return deal.account_id, await _group(uow, settings, await uow.deals.members(opp_id))


async def account_group(
    uow: ScoringUnitOfWork, settings: ScoringSettings, account_id: str
) -> GroupEngagement:
    """Every member of the account's open deals' buying groups, taken together."""
    memberships = await uow.deals.open_members_of_account(account_id)
    if not memberships and not await uow.deals.any_of_account(account_id):
        raise NotFound(f"Scoring knows no opportunity of account {account_id}.")
    return await _group(uow, settings, memberships)


async def _group(
    uow: ScoringUnitOfWork, settings: ScoringSettings, memberships: list[Membership]
) -> GroupEngagement:
    now = datetime.now(UTC)
    contacts = sorted({m.contact_id for m in memberships})
    scored = {p.contact_id: p for p in await uow.people.by_contacts(contacts)}
    members = []
    for contact_id in contacts:
        found = scored.get(contact_id)
        engagement = scorer.behaviour_of(found).at(now, settings.half_life) if found else 0.0
        confirmed = [m for m in memberships if m.contact_id == contact_id and m.status == "confirmed"]
        members.append(
            Member(
                contact_id=contact_id,
                roles=tuple(sorted({m.role for m in confirmed if m.role})),
                engagement=round(engagement, 2),
                score=round(found.fit + found.negative + engagement, 2) if found else 0.0,
                last_engaged_at=found.last_engaged_at if found else None,
                confirmed=bool(confirmed),
            )
        )
    return group_engagement(
        members,
        now=now,
        engaged_within=timedelta(days=settings.scoring_engaged_within_days),
        committee=settings.scoring_committee_roles,
    )
