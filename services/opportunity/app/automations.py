"""The automations; each can be switched off in settings and records itself as the actor."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from services.opportunity.app import buying_group
from services.opportunity.app.lifecycle import create_opp, move_opp
from services.opportunity.app.models import Opportunity
from services.opportunity.app.uow import OpportunityUnitOfWork
from services.opportunity.domain.engagement import next_stage
from services.opportunity.domain.moves import Refusal
from services.opportunity.domain.pipelines import EXPANSION_TYPES, WON
from services.opportunity.domain.renewal import renewal_terms
from services.opportunity.settings import OpportunitySettings

log = structlog.get_logger(__name__)

CONVERSION = "automation:lead_converted"
IDENTIFIED = "automation:inbound_identification"
ENGAGEMENT = "automation:account_engagement"
SCORE = "automation:score_threshold"
RENEWAL = "automation:renewal_on_closed_won"
EXPANSION = "automation:expansion_on_closed_won"


async def after_move(
    uow: OpportunityUnitOfWork, settings: OpportunitySettings, opp: Opportunity, *, now: datetime
) -> None:
    """What a move sets off: a won deal's follow-up opps; the marketing automations."""
    if opp.stage == WON and opp.type in ("acquisition", "renewal"):
        await _follow_up_opps(uow, settings, opp, now=now)
    await advance(uow, settings, opp, now=now)


async def advance(
    uow: OpportunityUnitOfWork, settings: OpportunitySettings, opp: Opportunity, *, now: datetime
) -> None:
    """Every automation that may move the opp now: account engagement, then a hot member."""
    await advance_on_engagement(uow, settings, opp, now=now)
    await advance_if_hot(uow, settings, opp, now=now)


async def advance_on_engagement(
    uow: OpportunityUnitOfWork, settings: OpportunitySettings, opp: Opportunity, *, now: datetime
) -> None:
    """target -> active -> engaged as the account's people engage, through the stages' gates."""
    if not settings.opportunity_engagement_automation or opp.closed_at is not None:
        return
    if not settings.pipelines.enabled(opp.type) or not settings.pipelines[opp.type].has(opp.stage):
        return
    since = now - timedelta(days=settings.engagement_rule.window_days)
    people = await uow.activity.engaged_people(opp.account_id, since, settings.opportunity_engagement_kinds)
    target = next_stage(opp.stage, people, settings.engagement_rule)
    if target is None or not settings.pipelines[opp.type].has(target):
        return
    moved = await move_opp(uow, settings, opp, target, actor=ENGAGEMENT, now=now)
    if isinstance(moved, Refusal):
        log.info("automation.refused", rule=ENGAGEMENT, opp_id=opp.opp_id, reason=moved.detail)


async def advance_if_hot(
    uow: OpportunityUnitOfWork, settings: OpportunitySettings, opp: Opportunity, *, now: datetime
) -> None:
    """Last marketing stage + a member scoring over the threshold -> the SDR stage, through its gates."""
    if not settings.pipelines.enabled(opp.type):
        return
    pipeline = settings.pipelines[opp.type]
    marketing, sdr = pipeline.last_marketing, pipeline.sdr
    if not settings.opportunity_score_automation or marketing is None or sdr is None:
        return
    if opp.stage != marketing.name:
        return
    best = await uow.groups.best_score(opp.opp_id)
    if best is None or best <= settings.opportunity_score_threshold:
        return
    moved = await move_opp(uow, settings, opp, sdr.name, actor=SCORE, now=now)
    if isinstance(moved, Refusal):
        log.info("automation.refused", rule=SCORE, opp_id=opp.opp_id, reason=moved.detail)


async def _follow_up_opps(
    uow: OpportunityUnitOfWork, settings: OpportunitySettings, won: Opportunity, *, now: datetime
) -> None:
    account = await uow.copies.account(won.account_id)
    members = await uow.groups.members([won.opp_id])
    key = won.buying_group_key
    created: list[Opportunity | None] = []
    if settings.opportunity_renewal_automation:
        terms = renewal_terms(
            won_close_date=won.close_date or now.date(),
            term_months=won.term_months,
            amount=won.amount,
            csm=account.csm if account else None,
            owner=won.owner or (account.owner if account else None),
            default_term_months=settings.opportunity_default_term_months,
        )
        created.append(
            await create_opp(
                uow,
                settings,
                account_id=won.account_id,
                opp_type="renewal",
                created_by=RENEWAL,
                now=now,
                owner=terms.owner,
                amount=terms.amount,
                close_date=terms.close_date,
                term_months=terms.term_months,
                source_opp_id=won.opp_id,
                buying_group_key=key,
            )
        )
    if settings.opportunity_expansion_automation:
        for kind in EXPANSION_TYPES:
            if settings.pipelines.enabled(kind) and not await uow.opps.open_of_type(won.account_id, kind):
                created.append(
                    await create_opp(
                        uow,
                        settings,
                        account_id=won.account_id,
                        opp_type=kind,
                        created_by=EXPANSION,
                        now=now,
                        owner=won.owner,
                        source_opp_id=won.opp_id,
                        buying_group_key=key,
                    )
                )
    for opp in created:
        if opp is not None:  # customer-based identification: the group that bought, copied
            await buying_group.copy_group(uow, members, opp, actor=opp.created_by, now=now)
