"""An opp's buying group: automation adds potential members, a person confirms them with a role;
every add, role change, confirmation, un-confirmation and removal is kept in history and emitted."""

from __future__ import annotations

from datetime import datetime

from services.opportunity.app.models import Change, Member, Opportunity, RoleChange
from services.opportunity.app.uow import OpportunityUnitOfWork
from shared.events import OppContactRoleChanged


async def add_potential(
    uow: OpportunityUnitOfWork,
    opp: Opportunity,
    contact_id: str,
    *,
    suggestion: tuple[str, str] | None,
    added_by: str,
    now: datetime,
) -> Change | None:
    """Map a person onto the opp with no committee role yet; None when already a member."""
    if await uow.groups.member(opp.opp_id, contact_id, lock=True) is not None:
        return None
    role, why = suggestion or (None, None)
    member = Member(
        opp_id=opp.opp_id,
        contact_id=contact_id,
        status="potential",
        suggested_role=role,
        suggested_reason=why,
        is_primary=not await uow.groups.members([opp.opp_id]),
        added_by=added_by,
        added_at=now,
    )
    await uow.groups.add(member)
    await _record(uow, opp, member, "added", added_by, now)
    return "added"


async def confirm(
    uow: OpportunityUnitOfWork,
    opp: Opportunity,
    contact_id: str,
    role: str,
    *,
    primary: bool | None,
    actor: str,
    now: datetime,
) -> Change | None:
    """A person names the contact's committee role (adding it if it was no member); None if it
    already held that role and flag. `primary=None` keeps the flag (a first member becomes primary)."""
    current = await uow.groups.member(opp.opp_id, contact_id, lock=True)
    if current is None:
        primary = (not await uow.groups.members([opp.opp_id])) if primary is None else primary
        if primary:
            await _demote_primary(uow, opp, actor=actor, now=now)
        member = Member(
            opp_id=opp.opp_id,
            contact_id=contact_id,
            role=role,
            is_primary=primary,
            added_by=actor,
            added_at=now,
            confirmed_by=actor,
            confirmed_at=now,
        )
        await uow.groups.add(member)
        await _record(uow, opp, member, "added", actor, now)
        return "added"
    primary = current.is_primary if primary is None else primary
    if current.confirmed and current.role == role and current.is_primary == primary:
        return None
    if primary and not current.is_primary:
        await _demote_primary(uow, opp, actor=actor, now=now)
    changes: dict[str, object] = {"role": role, "status": "confirmed", "is_primary": primary}
    if not (current.confirmed and current.role == role):
        changes |= {"confirmed_by": actor, "confirmed_at": now}
    return await _change(uow, opp, current.model_copy(update=changes), actor, now)


async def unconfirm(
    uow: OpportunityUnitOfWork, opp: Opportunity, contact_id: str, *, actor: str, now: datetime
) -> Change | None:
    """Back to potential: the member stays, its role becomes the suggestion it can be confirmed with."""
    current = await uow.groups.member(opp.opp_id, contact_id, lock=True)
    if current is None or not current.confirmed:
        return None
    update = {
        "status": "potential",
        "role": None,
        "suggested_role": current.role,
        "suggested_reason": f"{current.role} by {current.confirmed_by}, unconfirmed by {actor}",
        "confirmed_by": None,
        "confirmed_at": None,
    }
    return await _change(uow, opp, current.model_copy(update=update), actor, now)


async def make_primary(
    uow: OpportunityUnitOfWork, opp: Opportunity, contact_id: str, *, actor: str, now: datetime
) -> Change | None:
    """The member becomes the primary contact (confirmed or not); None if it already was."""
    current = await uow.groups.member(opp.opp_id, contact_id, lock=True)
    if current is None or current.is_primary:
        return None
    await _demote_primary(uow, opp, actor=actor, now=now)
    return await _change(uow, opp, current.model_copy(update={"is_primary": True}), actor, now)


async def copy_group(
    uow: OpportunityUnitOfWork, source: list[Member], opp: Opportunity, *, actor: str, now: datetime
) -> None:
    """Customer-based identification: the group that bought, copied with its roles and states."""
    for member in source:
        copied = member.model_copy(update={"opp_id": opp.opp_id, "added_by": actor, "added_at": now})
        await uow.groups.add(copied)
        await _record(uow, opp, copied, "added", actor, now)


async def remove(
    uow: OpportunityUnitOfWork, opp: Opportunity, contact_id: str, *, actor: str, now: datetime
) -> bool:
    current = await uow.groups.member(opp.opp_id, contact_id, lock=True)
    if current is None:
        return False
    await uow.groups.remove(opp.opp_id, contact_id)
    await _record(uow, opp, current, "removed", actor, now)
    return True


async def _change(
    uow: OpportunityUnitOfWork, opp: Opportunity, changed: Member, actor: str, now: datetime
) -> Change:
    await uow.groups.save(changed)
    await _record(uow, opp, changed, "changed", actor, now)
    return "changed"


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
            status=member.status,
            suggested_role=member.suggested_role,
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
            status=member.status,
            suggested_role=member.suggested_role,
            actor=actor,
        ),
        aggregate_version=opp.version,
    )
