"""Buying-group routes: add or change a contact role, mark primary, remove; history; a person's groups."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from sqlalchemy import select
from sqlmodel import col

from services.opportunity import automations, buying_group
from services.opportunity.models import (
    ContactOpportunityOut,
    ContactRoleChangeOut,
    ContactRoleIn,
    ContactRoleOut,
    ContactRoleResult,
)
from services.opportunity.tables import ContactCopy, ContactRole, ContactRoleChange, Opportunity
from services.opportunity.views import SettingsDep, locked_opp
from shared.app import UowDep
from shared.problems import Problem

router = APIRouter(tags=["buying group"])


@router.post("/opportunities/{opp_id}/contact-roles")
async def set_contact_role(
    opp_id: str, body: ContactRoleIn, uow: UowDep, settings: SettingsDep
) -> ContactRoleResult:
    """Adds the contact to the buying group, or changes its role (and primary flag)."""
    roles = settings.pipelines.roles
    if body.role not in roles:
        raise Problem(
            422, "Invalid request", f"Unknown role {body.role!r}; roles are {', '.join(roles)}.", field="role"
        )
    opp = await locked_opp(uow, opp_id)
    if await uow.session.get(ContactCopy, body.contact_id) is None:
        raise Problem(422, "Invalid request", f"No contact {body.contact_id}.", field="contact_id")
    now = datetime.now(UTC)
    change = await buying_group.set_role(
        uow, opp, body.contact_id, body.role, primary=body.primary, actor=body.actor, now=now
    )
    if change is not None:  # a new member or a new role may be what the SDR gate was missing
        await automations.advance_if_hot(uow, settings, opp, now=now)
    await uow.commit()
    return ContactRoleResult(change=change, contact_roles=await _members(uow, opp_id))


@router.post("/opportunities/{opp_id}/contact-roles/{contact_id}/primary")
async def mark_primary(opp_id: str, contact_id: str, uow: UowDep) -> ContactRoleResult:
    opp = await locked_opp(uow, opp_id)
    member = await uow.session.get(ContactRole, (opp_id, contact_id))
    if member is None:
        raise Problem(404, "Not Found", f"Contact {contact_id} is not in this buying group.")
    change = await buying_group.set_role(
        uow, opp, contact_id, member.role, primary=True, actor="api", now=datetime.now(UTC)
    )
    await uow.commit()
    return ContactRoleResult(change=change, contact_roles=await _members(uow, opp_id))


@router.delete("/opportunities/{opp_id}/contact-roles/{contact_id}")
async def remove_contact_role(
    opp_id: str, contact_id: str, uow: UowDep, actor: str = "api"
) -> ContactRoleResult:
    opp = await locked_opp(uow, opp_id)
    if not await buying_group.remove_role(uow, opp, contact_id, actor=actor, now=datetime.now(UTC)):
        raise Problem(404, "Not Found", f"Contact {contact_id} is not in this buying group.")
    await uow.commit()
    return ContactRoleResult(change="removed", contact_roles=await _members(uow, opp_id))


@router.get("/opportunities/{opp_id}/contact-roles/history")
async def contact_role_history(opp_id: str, uow: UowDep) -> list[ContactRoleChangeOut]:
    if await uow.session.get(Opportunity, opp_id) is None:
        raise Problem(404, "Not Found", f"No opportunity {opp_id}.")
    rows = await uow.session.scalars(
        select(ContactRoleChange)
        .where(col(ContactRoleChange.opp_id) == opp_id)
        .order_by(col(ContactRoleChange.id))
    )
    return [
        ContactRoleChangeOut(
            contact_id=r.contact_id,
            role=r.role,
            change=r.change,
            primary=r.is_primary,
            actor=r.actor,
            at=r.at,
        )
        for r in rows
    ]


@router.get("/contacts/{contact_id}/opportunities")
async def contact_opportunities(contact_id: str, uow: UowDep) -> list[ContactOpportunityOut]:
    """Every buying group the person sits in, with the role held in each."""
    rows = await uow.session.execute(
        select(Opportunity, ContactRole)
        .join(ContactRole, col(ContactRole.opp_id) == col(Opportunity.opp_id))
        .where(col(ContactRole.contact_id) == contact_id)
        .order_by(col(Opportunity.created_at))
    )
    return [
        ContactOpportunityOut(
            opp_id=opp.opp_id,
            account_id=opp.account_id,
            type=opp.type,
            stage=opp.stage,
            role=member.role,
            primary=member.is_primary,
        )
        for opp, member in rows.tuples()
    ]


async def _members(uow: UowDep, opp_id: str) -> list[ContactRoleOut]:
    return [
        ContactRoleOut(contact_id=m.contact_id, role=m.role, primary=m.is_primary, added_at=m.added_at)
        for m in await buying_group.members(uow, opp_id)
    ]
