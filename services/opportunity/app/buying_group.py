"""Opportunity contact roles: add, change, mark primary, remove; each kept in history and emitted."""

from __future__ import annotations

from datetime import datetime

from services.opportunity.app.models import Change, Member, Opportunity, RoleChange
from services.opportunity.app.uow import OpportunityUnitOfWork
from shared.events import OppContactRoleChanged


async def set_role(
    uow: OpportunityUnitOfWork,
    opp: Opportunity,
    contact_id: str,
    role: str,
    *,
    primary: bool | None,
    actor: str,
    now: datetime,
) -> Change | None:
    """Add the contact to the buying group or change its role/primary flag; None if nothing changed.
    `primary=None` keeps the current flag (a first member becomes primary)."""
    current = await uow.groups.member(opp.opp_id, contact_id, lock=True)
    if current is None:
        if primary is None:
            primary = not await uow.groups.members([opp.opp_id])
        if primary:
            await _demote_primary(uow, opp, actor=actor, now=now)
        member = Member(opp_id=opp.opp_id, contact_id=contact_id, role=role, is_primary=primary, added_at=now)
        await uow.groups.add(member)
        await _record(uow, opp, member, "added", actor, now)
        return "added"
    primary = current.is_primary if primary is None else primary
    if current.role == role and current.is_primary == primary:
        return None
    if primary and not current.is_primary:
        await _demote_primary(uow, opp, actor=actor, now=now)
    changed = current.model_copy(update={"role": role, "is_primary": primary})
    await uow.groups.save(changed)
    await _record(uow, opp, changed, "changed", actor, now)
    return "changed"


async def remove_role(
    uow: OpportunityUnitOfWork, opp: Opportunity, contact_id: str, *, actor: str, now: datetime
) -> bool:
    current = await uow.groups.member(opp.opp_id, contact_id, lock=True)
    if current is None:
        return False
    await uow.groups.remove(opp.opp_id, contact_id)
    await _record(uow, opp, current, "removed", actor, now)
    return True


async def _demote_primary(uow: OpportunityUnitOfWork, opp: Opportunity, *, actor: str, now: datetime) -> None:
    for member in await uow.groups.demote_primary(opp.opp_id):
        await _record(uow, opp, member.model_copy(update={"is_primary": False}), "changed", actor, now)


async def _record(
    uow: OpportunityUnitOfWork, opp: Opportunity, member: Member, change: Change, actor: str, now: datetime
) -> None:
    await uow.groups.record(
        RoleChange(
            opp_id=opp.opp_id,
            contact_id=member.contact_id,
            role=member.role,
            change=change,
            is_primary=member.is_primary,
            actor=actor,
            at=now,
        )
    )
    uow.emit(
        OppContactRoleChanged(
            opp_id=opp.opp_id,
            account_id=opp.account_id,
            contact_id=member.contact_id,
            role=member.role,
            primary=member.is_primary,
            change=change,
        ),
        aggregate_version=opp.version,
    )
