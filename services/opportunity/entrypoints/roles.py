"""Buying-group routes: confirm a contact with a role, un-confirm, mark primary, remove; the
history; a person's buying groups. The caller is the actor recorded for each change."""

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
from shared.app import CallerDep
from shared.errors import NotFound

router = APIRouter(tags=["buying group"])
MEMBER = "/opportunities/{opp_id}/contact-roles/{contact_id}"


@router.post("/opportunities/{opp_id}/contact-roles")
async def set_contact_role(
    opp_id: str, body: ContactRoleIn, uow: UowDep, settings: SettingsDep, caller: CallerDep
) -> ContactRoleResult:
    """Confirms the contact with a role (adding it to the buying group if need be): the caller is
    `confirmed_by`. A potential member becomes a committee member only this way."""
    change = await opportunities.set_contact_role(
        uow, settings, opp_id, body.contact_id, body.role, primary=body.primary, actor=caller
    )
    await uow.commit()
    return ContactRoleResult(change=change, contact_roles=await _members(uow, opp_id))


@router.post(f"{MEMBER}/primary")
async def mark_primary(opp_id: str, contact_id: str, uow: UowDep, caller: CallerDep) -> ContactRoleResult:
    change = await opportunities.mark_primary(uow, opp_id, contact_id, actor=caller)
    await uow.commit()
    return ContactRoleResult(change=change, contact_roles=await _members(uow, opp_id))


@router.post(f"{MEMBER}/unconfirm")
async def unconfirm(opp_id: str, contact_id: str, uow: UowDep, caller: CallerDep) -> ContactRoleResult:
    """Back to potential: the member stays, its role no longer counts for gates and coverage."""
    change = await opportunities.unconfirm(uow, opp_id, contact_id, actor=caller)
    await uow.commit()
    return ContactRoleResult(change=change, contact_roles=await _members(uow, opp_id))


@router.delete(MEMBER)
async def remove_contact_role(
    opp_id: str, contact_id: str, uow: UowDep, caller: CallerDep
) -> ContactRoleResult:
    await opportunities.remove_contact_role(uow, opp_id, contact_id, actor=caller)
    await uow.commit()
    return ContactRoleResult(change="removed", contact_roles=await _members(uow, opp_id))


@router.get("/opportunities/{opp_id}/contact-roles/history")
async def contact_role_history(opp_id: str, uow: UowDep) -> list[ContactRoleChangeOut]:
    if await uow.opps.get(opp_id) is None:
        raise NotFound(f"No opportunity {opp_id}.")
    return [
        ContactRoleChangeOut.model_validate(c.model_dump() | {"primary": c.is_primary})
        for c in await uow.groups.changes(opp_id)
    ]


@router.get("/contacts/{contact_id}/opportunities")
async def contact_opportunities(contact_id: str, uow: UowDep) -> list[ContactOpportunityOut]:
    """Every buying group the person sits in, with the role (or none yet) held in each."""
    return [
        ContactOpportunityOut(
            opp_id=opp.opp_id,
            account_id=opp.account_id,
            type=opp.type,
            stage=opp.stage,
            role=member.role,
            status=member.status,
            primary=member.is_primary,
        )
        for opp, member in await uow.groups.of_contact(contact_id)
    ]


async def _members(uow: UowDep, opp_id: str) -> list[ContactRoleOut]:
    return [role_out(m) for m in await uow.groups.members([opp_id])]
