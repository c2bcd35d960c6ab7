"""Opps as the API shows them: with buying group, stamps, SLA state (and history on request)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.opportunity.app.models import Member, Opportunity
from services.opportunity.app.uow import OpportunityUnitOfWork
from services.opportunity.domain.pipelines import STAMPED_STAGES
from services.opportunity.domain.sla import sla_status
from services.opportunity.domain.stays import Move
from services.opportunity.domain.stays import stays as stage_times
from services.opportunity.entrypoints.models import (
    ContactRoleOut,
    FieldChangeOut,
    HandoffOut,
    OpportunityOut,
    SlaOut,
    StageMoveOut,
    StageTimeOut,
)
from services.opportunity.settings import OpportunitySettings
from shared.errors import NotFound


def role_out(member: Member) -> ContactRoleOut:
    return ContactRoleOut.model_validate(member.model_dump() | {"primary": member.is_primary})


async def described(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    opps: list[Opportunity],
    *,
    history: bool = False,
    breaches: bool = True,
) -> list[OpportunityOut]:
    """Opps with buying groups, stamps, SLA state and the handoff in force: four queries for any
    number of opps."""
    ids = [opp.opp_id for opp in opps]
    now = datetime.now(UTC)
    out = {opp.opp_id: _out(opp, settings, now) for opp in opps}
    for member in await uow.groups.members(ids):
        out[member.opp_id].contact_roles.append(role_out(member))
    stays = {opp.opp_id: (opp.stage, opp.stage_entered_at) for opp in opps}
    for breach in await uow.opps.breaches(ids) if breaches else []:
        sla = out[breach.opp_id].sla
        if sla is not None and stays[breach.opp_id] == (breach.stage, breach.stage_entered_at):
            sla.breached_at, sla.escalated_at = breach.breached_at, breach.escalated_at
    for handoff in await uow.handoffs.current_of_opps(ids):
        if handoff.opp_id in out:
            out[handoff.opp_id].handoff = HandoffOut.model_validate(handoff.model_dump())
    if history:
        moves = await uow.opps.moves(ids)
        for move in moves:
            out[move.opp_id].history.append(StageMoveOut.model_validate(move.model_dump()))
        for opp_id, described_opp in out.items():
            times = stage_times([Move(m.to_stage, m.at) for m in moves if m.opp_id == opp_id], now)
            described_opp.stages = {stage: StageTimeOut(**vars(time)) for stage, time in times.items()}
            described_opp.changes = [
                FieldChangeOut.model_validate(c.model_dump()) for c in await uow.opps.field_changes(opp_id)
            ]
            described_opp.handoffs = [
                HandoffOut.model_validate(h.model_dump()) for h in await uow.handoffs.of_opp(opp_id)
            ]
    return list(out.values())


async def one(uow: OpportunityUnitOfWork, settings: OpportunitySettings, opp_id: str) -> OpportunityOut:
    opp = await uow.opps.get(opp_id)
    if opp is None:
        raise NotFound(f"No opportunity {opp_id}.")
    [out] = await described(uow, settings, [opp], history=True)
    return out


def _out(opp: Opportunity, settings: OpportunitySettings, now: datetime) -> OpportunityOut:
    described = OpportunityOut.model_validate(opp.model_dump())
    described.stamps = {stage: opp.stamps[stage] for stage in STAMPED_STAGES if stage in opp.stamps}
    pipelines = settings.pipelines
    if opp.closed_at is None and pipelines.enabled(opp.type) and pipelines[opp.type].has(opp.stage):
        status = sla_status(opp.stage_entered_at, pipelines[opp.type].stage(opp.stage).sla_hours, now)
        described.sla = SlaOut(
            state=status.state,
            sla_hours=status.sla_hours,
            due_at=status.due_at,
            overdue_by_seconds=status.overdue_by_seconds,
        )
    return described
