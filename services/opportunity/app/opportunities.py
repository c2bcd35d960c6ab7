"""What people do to opps through the API: create, change, move, and shape the buying group."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.opportunity.app import automations, buying_group
from services.opportunity.app.lifecycle import create_opp, move_opp
from services.opportunity.app.models import Change, Opportunity
from services.opportunity.app.uow import OpportunityUnitOfWork
from services.opportunity.domain.moves import Move, Refusal
from services.opportunity.settings import OpportunitySettings
from shared.errors import Conflict, DomainError, Invalid, NotFound


async def locked(uow: OpportunityUnitOfWork, opp_id: str) -> Opportunity:
    opp = await uow.opps.get(opp_id, lock=True)
    if opp is None:
        raise NotFound(f"No opportunity {opp_id}.")
    return opp


async def create(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    *,
    account_id: str | None,
    contact_id: str | None,
    opp_type: str,
    role: str | None,
    actor: str,
    amount: float | None = None,
    close_date: date | None = None,
    term_months: int | None = None,
    owner: str | None = None,
    next_step: dict[str, Any] | None = None,
) -> Opportunity:
    """From an account, or from a contact (which becomes the first member of the buying group)."""
    if (account_id is None) == (contact_id is None):
        raise Invalid("Give account_id or contact_id (exactly one).", field="account_id", errors=[])
    if not settings.pipelines.enabled(opp_type):
        raise Invalid(f"{opp_type} opportunities are switched off.", field="type", errors=[])
    role = role or settings.opportunity_default_contact_role
    _check_role(role, settings)
    contact = await uow.copies.contact(contact_id) if contact_id is not None else None
    if contact_id is not None and contact is None:
        raise Invalid(f"No contact {contact_id}.", field="contact_id", errors=[])
    account_id = contact.account_id if contact else account_id
    assert account_id is not None
    if await uow.copies.account(account_id) is None:
        raise Invalid(f"No account {account_id}.", field="account_id", errors=[])
    now = datetime.now(UTC)
    opp = await create_opp(
        uow,
        settings.pipelines,
        account_id=account_id,
        opp_type=opp_type,
        created_by=actor,
        now=now,
        owner=owner,
        amount=amount,
        close_date=close_date,
        term_months=term_months,
    )
    if opp is None:
        raise Conflict(f"Account {account_id} already has an open acquisition opportunity.")
    if next_step:
        for name, value in next_step.items():
            setattr(opp, name, value)
        await uow.opps.save(opp)
    if contact is not None:
        await buying_group.set_role(uow, opp, contact.contact_id, role, primary=True, actor=actor, now=now)
    return opp


async def update(uow: OpportunityUnitOfWork, opp_id: str, changes: dict[str, Any]) -> Opportunity:
    """Amount, close date, term, owner and the hand-off: next step, its owner and due date."""
    opp = await locked(uow, opp_id)
    if changes:
        for name, value in changes.items():
            setattr(opp, name, value)
        opp.version += 1
        opp.updated_at = datetime.now(UTC)
        await uow.opps.save(opp)
    return opp


async def move(
    uow: OpportunityUnitOfWork, settings: OpportunitySettings, opp_id: str, stage: str, *, actor: str
) -> tuple[Move, Opportunity]:
    """Forward (skipping only through gates that hold), backward, or to closed_won/closed_lost."""
    opp = await locked(uow, opp_id)
    now = datetime.now(UTC)
    plan = await move_opp(uow, settings.pipelines, opp, stage, actor=actor, now=now)
    if isinstance(plan, Refusal):
        raise refusal(plan)
    await automations.after_move(uow, settings, opp, now=now)
    return plan, opp


def refusal(plan: Refusal) -> DomainError:
    """A refused move in the domain's words: which gate, what it misses."""
    failures = [f.as_dict() for f in plan.failures]
    title = "Gate not met" if failures else ("Unknown stage" if plan.invalid else "Move refused")
    extra: dict[str, Any] = {"gate": failures[0], "gates": failures} if failures else {}
    kind = Invalid if plan.invalid else Conflict
    return kind(plan.detail, title=title, reason=plan.reason, field="stage", errors=[], **extra)


async def set_contact_role(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    opp_id: str,
    contact_id: str,
    role: str,
    *,
    primary: bool | None,
    actor: str,
) -> Change | None:
    """Adds the contact to the buying group, or changes its role (and primary flag)."""
    _check_role(role, settings)
    opp = await locked(uow, opp_id)
    if await uow.copies.contact(contact_id) is None:
        raise Invalid(f"No contact {contact_id}.", field="contact_id", errors=[])
    now = datetime.now(UTC)
    change = await buying_group.set_role(uow, opp, contact_id, role, primary=primary, actor=actor, now=now)
    if change is not None:  # a new member or a new role may be what the SDR gate was missing
        await automations.advance_if_hot(uow, settings, opp, now=now)
    return change


async def mark_primary(uow: OpportunityUnitOfWork, opp_id: str, contact_id: str) -> Change | None:
    opp = await locked(uow, opp_id)
    member = await uow.groups.member(opp_id, contact_id)
    if member is None:
        raise NotFound(f"Contact {contact_id} is not in this buying group.")
    return await buying_group.set_role(
        uow, opp, contact_id, member.role, primary=True, actor="api", now=datetime.now(UTC)
    )


async def remove_contact_role(
    uow: OpportunityUnitOfWork, opp_id: str, contact_id: str, *, actor: str
) -> None:
    opp = await locked(uow, opp_id)
    if not await buying_group.remove_role(uow, opp, contact_id, actor=actor, now=datetime.now(UTC)):
        raise NotFound(f"Contact {contact_id} is not in this buying group.")


def _check_role(role: str, settings: OpportunitySettings) -> None:
    roles = settings.pipelines.roles
    if role not in roles:
        raise Invalid(f"Unknown role {role!r}; roles are {', '.join(roles)}.", field="role", errors=[])
