"""Opportunity's routes (first version: read the opps the automations create)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlmodel import col

from services.opportunity.models import ContactRoleOut, OpportunityOut, StageMoveOut
from services.opportunity.tables import ContactRole, Opportunity, StageMove, StageStamp
from shared.app import UowDep
from shared.problems import Problem

router = APIRouter(tags=["opportunity"])


@router.get("/opportunities")
async def list_opportunities(
    uow: UowDep,
    account_id: str | None = None,
    type: str | None = None,
    stage: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[OpportunityOut]:
    query = select(Opportunity).order_by(col(Opportunity.created_at)).limit(limit)
    for column, value in (
        (Opportunity.account_id, account_id),
        (Opportunity.type, type),
        (Opportunity.stage, stage),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    return await _described(uow, list((await uow.session.scalars(query)).all()))


@router.get("/opportunities/{opp_id}")
async def get_opportunity(opp_id: str, uow: UowDep) -> OpportunityOut:
    """The opp with its buying group, stage stamps and stage history."""
    opp = await uow.session.get(Opportunity, opp_id)
    if opp is None:
        raise Problem(404, "Not Found", f"No opportunity {opp_id}.")
    [out] = await _described(uow, [opp])
    moves = await uow.session.scalars(
        select(StageMove).where(col(StageMove.opp_id) == opp_id).order_by(col(StageMove.id))
    )
    out.history = [StageMoveOut.model_validate(m, from_attributes=True) for m in moves]
    return out


async def _described(uow: UowDep, opps: list[Opportunity]) -> list[OpportunityOut]:
    """Opps with their buying groups and stage stamps (two queries for any number of opps)."""
    ids = [opp.opp_id for opp in opps]
    roles = await uow.session.scalars(
        select(ContactRole).where(col(ContactRole.opp_id).in_(ids)).order_by(col(ContactRole.added_at))
    )
    stamps = await uow.session.scalars(select(StageStamp).where(col(StageStamp.opp_id).in_(ids)))
    described = {opp.opp_id: OpportunityOut.model_validate(opp, from_attributes=True) for opp in opps}
    for role in roles:
        described[role.opp_id].contact_roles.append(
            ContactRoleOut(
                contact_id=role.contact_id, role=role.role, primary=role.is_primary, added_at=role.added_at
            )
        )
    for stamp in stamps:
        described[stamp.opp_id].stamps[stamp.stage] = stamp.entered_at
    return list(described.values())
