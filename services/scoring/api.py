"""Scoring's routes: scores with reasons, lifecycle moves by sales, buying-group engagement."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlmodel import col

from services.scoring import people, scorer
from services.scoring.decay_pass import scheduled
from services.scoring.domain import lifecycle
from services.scoring.domain.buying_group import GroupEngagement, Member, group_engagement
from services.scoring.predictive.features import feature_row
from services.scoring.settings import ScoringSettings
from services.scoring.tables import Deal, GroupMember, LifecycleChange, Person, ScoredEngagement
from shared.app import RuntimeDep, UowDep
from shared.problems import Problem

router = APIRouter(tags=["scoring"], lifespan=scheduled)


def _settings(runtime: RuntimeDep) -> ScoringSettings:
    settings = runtime.settings
    assert isinstance(settings, ScoringSettings)
    return settings


SettingsDep = Annotated[ScoringSettings, Depends(_settings)]


class Factor(BaseModel):
    column: str
    effect: float = Field(description="likelihood points this value adds (or takes) against not knowing it")


class Predicted(BaseModel):
    likelihood: float = Field(description="0-100: the chance this person becomes an opportunity")
    model_auc: float
    top_factors: list[Factor]


class ScoreOut(BaseModel):
    person_id: str
    lead_id: str
    contact_id: str | None
    account_id: str | None
    score: float = Field(description="fit + negative + behaviour, behaviour decayed to `as_of`")
    fit: float
    negative: float
    behaviour: float
    lifecycle_stage: str
    reasons: list[dict[str, Any]]
    model_version: str
    as_of: datetime
    last_emitted_score: float | None
    last_engaged_at: datetime | None
    predicted: Predicted | None = None


def score_out(person: Person, settings: ScoringSettings, now: datetime) -> ScoreOut:
    behaviour = round(scorer.behaviour_of(person).at(now, settings.half_life), 2)
    return ScoreOut(
        person_id=person.person_id,
        lead_id=person.person_id,
        contact_id=person.contact_id,
        account_id=person.account_id,
        score=round(person.fit + person.negative + behaviour, 2),
        fit=person.fit,
        negative=person.negative,
        behaviour=behaviour,
        lifecycle_stage=person.lifecycle_stage,
        reasons=scorer.reasons_of(person),
        model_version=person.model_version,
        as_of=now,
        last_emitted_score=person.emitted_score,
        last_engaged_at=person.last_engaged_at,
    )


async def _person(uow: UowDep, person_id: str, *, lock: bool = False) -> Person:
    person = await people.find(uow, person_id, lock=lock)
    if person is None:
        raise Problem(404, "Not Found", f"No score for {person_id}.")
    return person


@router.get("/scores/{person_id}")
async def get_score(person_id: str, uow: UowDep, settings: SettingsDep) -> ScoreOut:
    """The current score of a lead id or a contact id, with its reasons and model version, and the
    predictive likelihood when a validated model is configured."""
    person = await _person(uow, person_id)
    out = score_out(person, settings, datetime.now(UTC))
    if settings.predictive is not None:
        out.predicted = await _predicted(uow, person, settings)
    return out


async def _predicted(uow: UowDep, person: Person, settings: ScoringSettings) -> Predicted:
    totals = await uow.session.execute(
        select(col(ScoredEngagement.kind), func.count(), func.sum(col(ScoredEngagement.points)))
        .where(col(ScoredEngagement.person_id) == person.person_id)
        .group_by(col(ScoredEngagement.kind))
    )
    counts, points = {}, 0.0
    for kind, count, total in totals:
        counts[kind], points = int(count), points + float(total or 0)
    row = feature_row(settings.scoring_model, person.model_dump(), counts, points=points)
    likelihood, factors = await asyncio.to_thread(settings.predictive.likelihood, row)
    return Predicted(
        likelihood=likelihood,
        model_auc=round(settings.predictive.auc, 4),
        top_factors=[Factor(column=column, effect=effect) for column, effect in factors],
    )


class StageIn(BaseModel):
    stage: Literal["sal", "sql", "nurture"] = Field(description="nurture recycles the person, with a reason")
    reason: str | None = Field(None, max_length=500)
    actor: str = Field("sales", min_length=1, max_length=200)


class ChangeOut(BaseModel):
    from_stage: str
    to_stage: str
    at: datetime
    actor: str
    reason: str


class LifecycleOut(BaseModel):
    person_id: str
    lifecycle_stage: str
    history: list[ChangeOut]


async def _lifecycle(uow: UowDep, person: Person) -> LifecycleOut:
    changes = await uow.session.scalars(
        select(LifecycleChange)
        .where(col(LifecycleChange.person_id) == person.person_id)
        .order_by(col(LifecycleChange.id))
    )
    history = [ChangeOut.model_validate(c, from_attributes=True) for c in changes]
    return LifecycleOut(person_id=person.person_id, lifecycle_stage=person.lifecycle_stage, history=history)


@router.get("/people/{person_id}/lifecycle")
async def get_lifecycle(person_id: str, uow: UowDep) -> LifecycleOut:
    """The person's stage and every change, with its time, actor and reason."""
    return await _lifecycle(uow, await _person(uow, person_id))


@router.post("/people/{person_id}/lifecycle")
async def move_lifecycle(person_id: str, body: StageIn, uow: UowDep, settings: SettingsDep) -> LifecycleOut:
    """Sales accepts (sal), qualifies (sql) or recycles (nurture, with a reason) a person."""
    person = await _person(uow, person_id, lock=True)
    try:
        to = lifecycle.by_sales(person.lifecycle_stage, body.stage, body.reason)
    except lifecycle.TransitionRefused as refused:
        raise Problem(
            409, "Conflict", str(refused), errors=[{"field": "stage", "reason": str(refused)}]
        ) from None
    now = datetime.now(UTC)
    reason = body.reason or f"{to} by {body.actor}"
    change = scorer.move(uow, person, lifecycle.Change(person.lifecycle_stage, to, now, body.actor, reason))
    scorer.settle(uow, person, settings, now, change=change)
    await uow.commit()
    return await _lifecycle(uow, person)


class MemberOut(BaseModel):
    contact_id: str
    roles: list[str]
    engagement: float
    score: float
    last_engaged_at: datetime | None
    engaged: bool


class GroupEngagementOut(BaseModel):
    opp_id: str | None = None
    account_id: str
    members: list[MemberOut]
    total_engagement: float
    average_engagement: float
    engaged: list[str]
    not_engaged: list[str]
    engaged_within_days: float
    roles_covered: list[str]
    roles_not_covered: list[str]


async def _group(uow: UowDep, settings: ScoringSettings, memberships: list[GroupMember]) -> GroupEngagement:
    now = datetime.now(UTC)
    contacts = sorted({m.contact_id for m in memberships})
    scored = {p.contact_id: p for p in await people.by_contacts(uow, contacts)}
    members = []
    for contact_id in contacts:
        person = scored.get(contact_id)
        engagement = scorer.behaviour_of(person).at(now, settings.half_life) if person else 0.0
        members.append(
            Member(
                contact_id=contact_id,
                roles=tuple(sorted({m.role for m in memberships if m.contact_id == contact_id})),
                engagement=round(engagement, 2),
                score=round(person.fit + person.negative + engagement, 2) if person else 0.0,
                last_engaged_at=person.last_engaged_at if person else None,
            )
        )
    return group_engagement(
        members,
        now=now,
        engaged_within=timedelta(days=settings.scoring_engaged_within_days),
        committee=settings.scoring_committee_roles,
    )


def _out(group: GroupEngagement, settings: ScoringSettings, **ids: str | None) -> GroupEngagementOut:
    engaged = set(group.engaged)
    return GroupEngagementOut(
        **ids,
        members=[
            MemberOut(**{**m.__dict__, "roles": list(m.roles)}, engaged=m.contact_id in engaged)
            for m in group.members
        ],
        total_engagement=group.total,
        average_engagement=group.average,
        engaged=group.engaged,
        not_engaged=group.not_engaged,
        engaged_within_days=settings.scoring_engaged_within_days,
        roles_covered=group.roles_covered,
        roles_not_covered=group.roles_not_covered,
    )


@router.get("/opportunities/{opp_id}/buying-group-engagement")
async def opp_engagement(opp_id: str, uow: UowDep, settings: SettingsDep) -> GroupEngagementOut:
    """The opp's buying group: total and average engagement, who is engaged, roles not covered."""
    deal = await uow.session.get(Deal, opp_id)
    if deal is None:
        raise Problem(404, "Not Found", f"Scoring knows no opportunity {opp_id}.")
    memberships = await uow.session.scalars(select(GroupMember).where(col(GroupMember.opp_id) == opp_id))
    group = await _group(uow, settings, list(memberships))
    return _out(group, settings, opp_id=opp_id, account_id=deal.account_id)


@router.get("/accounts/{account_id}/buying-group-engagement")
async def account_engagement(account_id: str, uow: UowDep, settings: SettingsDep) -> GroupEngagementOut:
    """Every member of the account's open deals' buying groups, taken together."""
    memberships = list(
        await uow.session.scalars(
            select(GroupMember)
            .join(Deal, col(Deal.opp_id) == col(GroupMember.opp_id))
            .where(col(GroupMember.account_id) == account_id, col(Deal.is_closed).is_(False))
        )
    )
    if (
        not memberships
        and await uow.session.scalar(select(col(Deal.opp_id)).where(col(Deal.account_id) == account_id))
        is None
    ):
        raise Problem(404, "Not Found", f"Scoring knows no opportunity of account {account_id}.")
    group = await _group(uow, settings, memberships)
    return _out(group, settings, account_id=account_id)
