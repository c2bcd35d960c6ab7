"""Scoring's routes: scores with reasons, lifecycle moves by sales, buying-group engagement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter

from services.scoring.app import queries, scorer
from services.scoring.app.models import Person
from services.scoring.domain.buying_group import GroupEngagement, Member
from services.scoring.entrypoints.deps import SettingsDep, UowDep
from services.scoring.entrypoints.models import (
    ChangeOut,
    Factor,
    GroupEngagementOut,
    LifecycleOut,
    MemberOut,
    Predicted,
    ScoreOut,
    StageIn,
)
from services.scoring.entrypoints.segments import router as segments_router
from services.scoring.settings import ScoringSettings
from shared.app import CallerDep

router = APIRouter(tags=["scoring"])
router.include_router(segments_router)


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


@router.get("/scores/{person_id}")
async def get_score(person_id: str, uow: UowDep, settings: SettingsDep) -> ScoreOut:
    """The current score of a lead id or a contact id, with its reasons and model version, and the
    predictive likelihood when a validated model is configured."""
    person = await queries.person(uow, person_id)
    out = score_out(person, settings, datetime.now(UTC))
    if settings.predictive is not None:
        likelihood, factors = await queries.predicted(uow, person, settings)
        out.predicted = Predicted(
            likelihood=likelihood,
            model_auc=round(settings.predictive.auc, 4),
            top_factors=[Factor(column=column, effect=effect) for column, effect in factors],
        )
    return out


async def _lifecycle(uow: UowDep, person: Person) -> LifecycleOut:
    history = [ChangeOut.model_validate(c.model_dump()) for c in await uow.people.changes(person.person_id)]
    return LifecycleOut(person_id=person.person_id, lifecycle_stage=person.lifecycle_stage, history=history)


@router.get("/people/{person_id}/lifecycle")
async def get_lifecycle(person_id: str, uow: UowDep) -> LifecycleOut:
    """The person's stage and every change, with its time, actor and reason."""
    return await _lifecycle(uow, await queries.person(uow, person_id))


@router.post("/people/{person_id}/lifecycle")
async def move_lifecycle(
    person_id: str, body: StageIn, uow: UowDep, settings: SettingsDep, caller: CallerDep
) -> LifecycleOut:
    """Sales accepts (sal), qualifies (sql) or recycles (nurture, with a reason) a person; the caller
    is the change's actor."""
    person = await queries.move_lifecycle(
        uow, settings, person_id, body.stage, reason=body.reason, actor=caller
    )
    await uow.commit()
    return await _lifecycle(uow, person)


def _out(group: GroupEngagement, settings: ScoringSettings, **ids: str | None) -> GroupEngagementOut:
    since = datetime.now(UTC) - timedelta(days=settings.scoring_engaged_within_days)

    def member(m: Member) -> MemberOut:
        engaged = m.last_engaged_at is not None and m.last_engaged_at >= since
        return MemberOut(**{**m.__dict__, "roles": list(m.roles)}, engaged=engaged)

    return GroupEngagementOut(
        **ids,
        members=[member(m) for m in group.members],
        potential=[member(m) for m in group.potential],
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
    account_id, group = await queries.opp_group(uow, settings, opp_id)
    return _out(group, settings, opp_id=opp_id, account_id=account_id)


@router.get("/accounts/{account_id}/buying-group-engagement")
async def account_engagement(account_id: str, uow: UowDep, settings: SettingsDep) -> GroupEngagementOut:
    """Every member of the account's open deals' buying groups, taken together."""
    return _out(await queries.account_group(uow, settings, account_id), settings, account_id=account_id)
