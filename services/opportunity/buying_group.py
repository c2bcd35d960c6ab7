"""Opportunity contact roles: add, change, mark primary, remove; each kept in history and emitted."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlmodel import col

from services.opportunity.tables import ContactRole, ContactRoleChange, Opportunity
from shared.events import OppContactRoleChanged
from shared.uow import UnitOfWork

Change = Literal["added", "changed", "removed"]


async def set_role(
    uow: UnitOfWork,
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
    current = await uow.session.get(ContactRole, (opp.opp_id, contact_id), with_for_update=True)
    if current is None:
        if primary is None:
            primary = await _first_member(uow, opp.opp_id)
        if primary:
            await _demote_primary(uow, opp, actor=actor, now=now)
        uow.session.add(
            ContactRole(opp_id=opp.opp_id, contact_id=contact_id, role=role, is_primary=primary, added_at=now)
        )
        _record(uow, opp, contact_id, role, primary, "added", actor, now)
        return "added"
    primary = current.is_primary if primary is None else primary
    if current.role == role and current.is_primary == primary:
        return None
    if primary and not current.is_primary:
        await _demote_primary(uow, opp, actor=actor, now=now)
    current.role, current.is_primary = role, primary
    _record(uow, opp, contact_id, role, primary, "changed", actor, now)
    return "changed"


async def remove_role(
    uow: UnitOfWork, opp: Opportunity, contact_id: str, *, actor: str, now: datetime
) -> bool:
    current = await uow.session.get(ContactRole, (opp.opp_id, contact_id), with_for_update=True)
    if current is None:
        return False
    await uow.session.delete(current)
    _record(uow, opp, contact_id, current.role, current.is_primary, "removed", actor, now)
    return True


async def members(uow: UnitOfWork, opp_id: str) -> list[ContactRole]:
    rows = await uow.session.scalars(
        select(ContactRole).where(col(ContactRole.opp_id) == opp_id).order_by(col(ContactRole.added_at))
    )
    return list(rows)


async def _first_member(uow: UnitOfWork, opp_id: str) -> bool:
    anyone = await uow.session.scalar(
        select(col(ContactRole.contact_id)).where(col(ContactRole.opp_id) == opp_id).limit(1)
    )
    return anyone is None


async def _demote_primary(uow: UnitOfWork, opp: Opportunity, *, actor: str, now: datetime) -> None:
    demoted = await uow.session.execute(
        update(ContactRole)
        .where(col(ContactRole.opp_id) == opp.opp_id, col(ContactRole.is_primary))
        .values(is_primary=False)
        .returning(col(ContactRole.contact_id), col(ContactRole.role))
    )
    for contact_id, role in demoted.all():
        _record(uow, opp, contact_id, role, False, "changed", actor, now)


def _record(
    uow: UnitOfWork,
    opp: Opportunity,
    contact_id: str,
    role: str,
    primary: bool,
    change: Change,
    actor: str,
    now: datetime,
) -> None:
    uow.session.add(
        ContactRoleChange(
            opp_id=opp.opp_id,
            contact_id=contact_id,
            role=role,
            change=change,
            is_primary=primary,
            actor=actor,
            at=now,
        )
    )
    uow.emit(
        OppContactRoleChanged(
            opp_id=opp.opp_id,
            account_id=opp.account_id,
            contact_id=contact_id,
            role=role,
            primary=primary,
            change=change,
        ),
        aggregate_version=opp.version,
    )
