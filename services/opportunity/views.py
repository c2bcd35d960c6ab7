"""Opps as the API shows them: with buying group, stamps, SLA state (and history on request)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends
from sqlalchemy import select
from sqlmodel import col

from services.opportunity.domain.sla import sla_status
from services.opportunity.models import ContactRoleOut, OpportunityOut, SlaOut, StageMoveOut
from services.opportunity.settings import OpportunitySettings
from services.opportunity.tables import ContactRole, Opportunity, SlaBreach, StageMove
from shared.app import RuntimeDep
from shared.problems import Problem
from shared.uow import UnitOfWork


def get_settings(runtime: RuntimeDep) -> OpportunitySettings:
    settings = runtime.settings
    assert isinstance(settings, OpportunitySettings)
    return settings


SettingsDep = Annotated[OpportunitySettings, Depends(get_settings)]


async def locked_opp(uow: UnitOfWork, opp_id: str) -> Opportunity:
    opp = await uow.session.get(Opportunity, opp_id, with_for_update=True)
    if opp is None:
        raise Problem(404, "Not Found", f"No opportunity {opp_id}.")
    return opp


async def described(
    uow: UnitOfWork,
    settings: OpportunitySettings,
    opps: list[Opportunity],
    *,
    history: bool = False,
    breaches: bool = True,
) -> list[OpportunityOut]:
    """Opps with buying groups, stamps and SLA state: three queries for any number of opps."""
    ids = [opp.opp_id for opp in opps]
    now = datetime.now(UTC)
    out = {opp.opp_id: _out(opp, settings, now) for opp in opps}
    roles = await uow.session.scalars(
        select(ContactRole).where(col(ContactRole.opp_id).in_(ids)).order_by(col(ContactRole.added_at))
    )
    for role in roles:
        out[role.opp_id].contact_roles.append(
            ContactRoleOut(
                contact_id=role.contact_id, role=role.role, primary=role.is_primary, added_at=role.added_at
            )
        )
    stays = {opp.opp_id: (opp.stage, opp.stage_entered_at) for opp in opps}
    found: list[SlaBreach] = []
    if breaches:
        found = list(await uow.session.scalars(select(SlaBreach).where(col(SlaBreach.opp_id).in_(ids))))
    for breach in found:
        sla = out[breach.opp_id].sla
        if sla is not None and stays[breach.opp_id] == (breach.stage, breach.stage_entered_at):
            sla.breached_at = breach.breached_at
    if history:
        moves = await uow.session.scalars(
            select(StageMove).where(col(StageMove.opp_id).in_(ids)).order_by(col(StageMove.id))
        )
        for move in moves:
            out[move.opp_id].history.append(StageMoveOut.model_validate(move, from_attributes=True))
    return list(out.values())


def _out(opp: Opportunity, settings: OpportunitySettings, now: datetime) -> OpportunityOut:
    described = OpportunityOut.model_validate(opp, from_attributes=True)
    described.stamps = opp.entered_stages()
    pipelines = settings.pipelines
    if opp.closed_at is None and pipelines.enabled(opp.type) and pipelines[opp.type].has(opp.stage):
        status = sla_status(
            opp.stage_entered_at, settings.pipelines[opp.type].stage(opp.stage).sla_hours, now
        )
        described.sla = SlaOut(
            state=status.state,
            sla_hours=status.sla_hours,
            due_at=status.due_at,
            overdue_by_seconds=status.overdue_by_seconds,
        )
    return described
