"""Buying-group routes: add or change a contact role, mark primary, remove; history; a person's groups."""

from __future__ import annotations

from fastapi import APIRouter

from services.opportunity.app import opportunities
from services.opportunity.entrypoints.deps import SettingsDep, UowDep
from services.opportunity.entrypoints.models import (
    ContactOpportunityOut,
    ContactRoleChangeOut,
    ContactRoleIn,
    ContactRoleOut,
    ContactRoleResult,
)
from services.opportunity.entrypoints.views import role_out
from shared.errors import NotFound

router = APIRouter(tags=["buying group"])


@router.post("/opportunities/{opp_id}/contact-roles")
async def set_contact_role(
    opp_id: str, body: ContactRoleIn, uow: UowDep, settings: SettingsDep
) -> ContactRoleResult:
    """Adds the contact to the buying group, or changes its role (and primary flag)."""
    change = await opportunities.set_contact_role(
        uow, settings, opp_id, body.contact_id, body.role, primary=body.primary, actor=body.actor
    )
    await uow.commit()
    return ContactRoleResult(change=change, contact_roles=await _members(uow, opp_id))


@router.post("/opportunities/{opp_id}/contact-roles/{contact_id}/primary")
async def mark_primary(opp_id: str, contact_id: str, uow: UowDep) -> ContactRoleResult:
    change = await opportunities.mark_primary(uow, opp_id, contact_id)
    await uow.commit()
    return ContactRoleResult(change=change, contact_roles=await _members(uow, opp_id))


@router.delete("/opportunities/{opp_id}/contact-roles/{contact_id}")
async def remove_contact_role(
    opp_id: str, contact_id: str, uow: UowDep, actor: str = "api"
) -> ContactRoleResult:
    await opportunities.remove_contact_role(uow, opp_id, contact_id, actor=actor)
    await uow.commit()
    return ContactRoleResult(change="removed", contact_roles=await _members(uow, opp_id))


@router.get("/opportunities/{opp_id}/contact-roles/history")
async def contact_role_history(opp_id: str, uow: UowDep) -> list[ContactRoleChangeOut]:
    if await uow.opps.get(opp_id) is None:
        raise NotFound(f"No opportunity {opp_id}.")
    return [
        ContactRoleChangeOut(
            contact_id=c.contact_id,
            role=c.role,
            change=c.change,
            primary=c.is_primary,
            actor=c.actor,
            at=c.at,
        )
        for c in await uow.groups.changes(opp_id)
    ]


@router.get("/contacts/{contact_id}/opportunities")
async def contact_opportunities(contact_id: str, uow: UowDep) -> list[ContactOpportunityOut]:
    """Every buying group the person sits in, with the role held in each."""
    return [
        ContactOpportunityOut(
            opp_id=opp.opp_id,
            account_id=opp.account_id,
            type=opp.type,
            stage=opp.stage,
            role=member.role,
            primary=member.is_primary,
        )
        for opp, member in await uow.groups.of_contact(contact_id)
    ]


async def _members(uow: UowDep, opp_id: str) -> list[ContactRoleOut]:
    return [role_out(m) for m in await uow.groups.members([opp_id])]
