"""Creating opps and moving them between stages, inside the caller's unit of work."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from services.opportunity.app import handoffs
from services.opportunity.app.models import Opportunity, StageMove
from services.opportunity.app.uow import OpportunityUnitOfWork
from services.opportunity.domain.moves import Move, Refusal, plan_move
from services.opportunity.domain.pipelines import GATE_FIELDS
from services.opportunity.settings import OpportunitySettings
from shared.events import OppCreated, OppStageChanged
from shared.telemetry import instruments


async def create_opp(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    *,
    account_id: str,
    opp_type: str,
    created_by: str,
    now: datetime,
    owner: str | None = None,
    amount: float | None = None,
    close_date: date | None = None,
    term_months: int | None = None,
    source_opp_id: str | None = None,
    buying_group_key: str | None = None,
) -> Opportunity | None:
    """The new opp at its pipeline's first stage; None when a unique rule says it exists already
    (one open Acquisition opp per account and buying group, one renewal per won opp)."""
    stage = settings.pipelines[opp_type].first_stage.name
    opp = Opportunity(
        opp_id=str(uuid.uuid4()),
        account_id=account_id,
        type=opp_type,
        stage=stage,
        owner=owner,
        amount=amount,
        close_date=close_date,
        term_months=term_months,
        created_by=created_by,
        source_opp_id=source_opp_id,
        buying_group_key=buying_group_key,
        stage_entered_at=now,
        created_at=now,
        updated_at=now,
        stamps={stage: now},
    )
    if not await uow.opps.add(opp):
        return None
    await uow.opps.record_move(
        StageMove(opp_id=opp.opp_id, from_stage=None, to_stage=stage, at=now, actor=created_by)
    )
    uow.emit(
        OppCreated(
            opp_id=opp.opp_id,
            account_id=account_id,
            type=opp_type,
            stage=stage,
            amount=amount,
            close_date=close_date,
            owner=owner,
            created_by=created_by,
            source_opp_id=source_opp_id,
            buying_group_key=buying_group_key,
        ),
        aggregate_version=opp.version,
    )
    _emit_stage_changed(uow, opp, None, stage, now, created_by)
    await handoffs.hand_over(uow, settings, opp, None, now=now)
    return opp


async def member_roles(uow: OpportunityUnitOfWork, opp_id: str) -> set[str]:
    """The roles the gates count: confirmed members' only."""
    return {m.role for m in await uow.groups.members([opp_id]) if m.confirmed and m.role}


def gate_fields(opp: Opportunity) -> dict[str, Any]:
    return {name: getattr(opp, name) for name in GATE_FIELDS}


async def move_opp(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    opp: Opportunity,
    target: str,
    *,
    actor: str,
    now: datetime,
    given: dict[str, Any] | None = None,
) -> Move | Refusal:
    """Plan the move through the gates and, if allowed, apply it (stamps, history, event), then
    the handshake if the stage's team changes (`given`: the mover's stage owner or next step).
    The caller holds the opp's row lock."""
    pipelines = settings.pipelines
    if not pipelines.enabled(opp.type):
        return Refusal("type_switched_off", f"{opp.type} opportunities are switched off")
    plan = plan_move(
        pipelines[opp.type],
        opp.stage,
        target,
        committee=pipelines.committee,
        roles=await member_roles(uow, opp.opp_id),
        fields=gate_fields(opp),
    )
    if isinstance(plan, Refusal):
        return plan
    opp.stage, opp.stage_entered_at, opp.updated_at = target, now, now
    opp.version += 1
    opp.stamps.setdefault(target, now)
    if pipelines[opp.type].stage(target).closed:
        opp.closed_at = now
    await uow.opps.save(opp)
    await uow.opps.record_move(
        StageMove(opp_id=opp.opp_id, from_stage=plan.from_stage, to_stage=target, at=now, actor=actor)
    )
    _emit_stage_changed(uow, opp, plan.from_stage, target, now, actor, plan)
    await handoffs.hand_over(uow, settings, opp, plan.from_stage, now=now, given=given, actor=actor)
    return plan


def _emit_stage_changed(
    uow: OpportunityUnitOfWork,
    opp: Opportunity,
    from_stage: str | None,
    to_stage: str,
    now: datetime,
    actor: str,
    plan: Move | None = None,
) -> None:
    uow.emit(
        OppStageChanged(
            opp_id=opp.opp_id,
            account_id=opp.account_id,
            type=opp.type,
            from_stage=from_stage,
            to_stage=to_stage,
            at=now,
            actor=actor,
            kind=plan.kind if plan else "created",
            skipped=list(plan.skipped) if plan else [],
        ),
        aggregate_version=opp.version,
    )
    instruments.domain_counter("stage.transitions", "Opportunity stage moves.").add(
        1, {"type": opp.type, "to_stage": to_stage}
    )
