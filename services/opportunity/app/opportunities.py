"""What people do to opps through the API: create, change, move, and shape the buying group.
`actor` is always who is authenticated (a key's name, a console user), never what a body says."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.opportunity.app import automations, buying_group, handoffs
from services.opportunity.app.fields import change_fields
from services.opportunity.app.lifecycle import create_opp, move_opp
from services.opportunity.app.models import Change, ContactCopy, Opportunity
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
    fields: dict[str, Any] | None = None,
    buying_group_key: str | None = None,
) -> Opportunity:
    """From an account, or from a contact: the first member of its buying group, confirmed with
    `role`, or potential without one. `fields`: amount, close date, term, owner, next step."""
    if not settings.pipelines.enabled(opp_type):
        raise Invalid(f"{opp_type} opportunities are switched off.", field="type", errors=[])
    if role is not None:
        _check_role(role, settings)
    _check_key(buying_group_key, settings)
    account_id, contact = await _subject(uow, account_id, contact_id)
    now = datetime.now(UTC)
    given = dict(fields or {})
    opp = await create_opp(
        uow,
        settings,
        account_id=account_id,
        opp_type=opp_type,
        created_by=actor,
        now=now,
        buying_group_key=buying_group_key,
        **{k: given.pop(k, None) for k in ("owner", "amount", "close_date", "term_months")},
    )
    if opp is None:
        group = f" for the {buying_group_key} buying group" if buying_group_key else ""
        raise Conflict(f"Account {account_id} already has an open acquisition opportunity{group}.")
    if any(value is not None for value in given.values()):
        for name, value in given.items():
            setattr(opp, name, value)
        await uow.opps.save(opp)
    if contact is not None and role is not None:
        await buying_group.confirm(uow, opp, contact.contact_id, role, primary=True, actor=actor, now=now)
    elif contact is not None:
        await buying_group.add_potential(
            uow, opp, contact.contact_id, suggestion=None, added_by=actor, now=now
        )
    return opp


async def _subject(
    uow: OpportunityUnitOfWork, account_id: str | None, contact_id: str | None
) -> tuple[str, ContactCopy | None]:
    """The account an opp is created on, and the contact it comes from, if any."""
    if (account_id is None) == (contact_id is None):
        raise Invalid("Give account_id or contact_id (exactly one).", field="account_id", errors=[])
    contact = await uow.copies.contact(contact_id) if contact_id is not None else None
    if contact_id is not None and contact is None:
        raise Invalid(f"No contact {contact_id}.", field="contact_id", errors=[])
    account_id = contact.account_id if contact else account_id
    assert account_id is not None
    if await uow.copies.account(account_id) is None:
        raise Invalid(f"No account {account_id}.", field="account_id", errors=[])
    return account_id, contact


async def update(
    uow: OpportunityUnitOfWork, opp_id: str, changes: dict[str, Any], *, actor: str
) -> Opportunity:
    """Amount, close date, term, owner and the hand-off: next step, its owner and due date. Every
    change is kept (from, to, who, when) and emitted as `opp.updated`; a change by the stage's
    owner accepts their handoff."""
    opp = await locked(uow, opp_id)
    now = datetime.now(UTC)
    await change_fields(uow, opp, changes, actor=actor, now=now)
    await handoffs.accept_by_activity(uow, opp, actor, now=now)
    return opp


async def move(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    opp_id: str,
    stage: str,
    *,
    actor: str,
    given: dict[str, Any] | None = None,
) -> tuple[Move, Opportunity]:
    """Forward (skipping only through gates that hold), backward, or to closed_won/closed_lost;
    `given`: the stage owner, next step, its owner or due date the mover sets for the handoff."""
    opp = await locked(uow, opp_id)
    now = datetime.now(UTC)
    plan = await move_opp(uow, settings, opp, stage, actor=actor, now=now, given=given)
    if isinstance(plan, Refusal):
        raise refusal(plan)
    await handoffs.accept_by_activity(uow, opp, actor, now=now)
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
    """A person confirms the contact with a role (adding it to the buying group if need be)."""
    _check_role(role, settings)
    opp = await locked(uow, opp_id)
    if await uow.copies.contact(contact_id) is None:
        raise Invalid(f"No contact {contact_id}.", field="contact_id", errors=[])
    now = datetime.now(UTC)
    change = await buying_group.confirm(uow, opp, contact_id, role, primary=primary, actor=actor, now=now)
    await handoffs.accept_by_activity(uow, opp, actor, now=now)
    if change is not None:  # a confirmed role may be what a gate was missing
        await automations.advance(uow, settings, opp, now=now)
    return change


async def mark_primary(
    uow: OpportunityUnitOfWork, opp_id: str, contact_id: str, *, actor: str
) -> Change | None:
    opp = await _with_member(uow, opp_id, contact_id)
    return await buying_group.make_primary(uow, opp, contact_id, actor=actor, now=datetime.now(UTC))


async def unconfirm(uow: OpportunityUnitOfWork, opp_id: str, contact_id: str, *, actor: str) -> Change | None:
    """The member stays on the opp as potential; its role no longer counts for the gates."""
    opp = await _with_member(uow, opp_id, contact_id)
    return await buying_group.unconfirm(uow, opp, contact_id, actor=actor, now=datetime.now(UTC))


async def remove_contact_role(
    uow: OpportunityUnitOfWork, opp_id: str, contact_id: str, *, actor: str
) -> None:
    opp = await _with_member(uow, opp_id, contact_id)
    await buying_group.remove(uow, opp, contact_id, actor=actor, now=datetime.now(UTC))


async def _with_member(uow: OpportunityUnitOfWork, opp_id: str, contact_id: str) -> Opportunity:
    opp = await locked(uow, opp_id)
    if await uow.groups.member(opp_id, contact_id) is None:
        raise NotFound(f"Contact {contact_id} is not in this buying group.")
    return opp


def _check_key(key: str | None, settings: OpportunitySettings) -> None:
    allowed = settings.opportunity_buying_group_keys
    if key is not None and allowed and key not in allowed:
        raise Invalid(
            f"Unknown buying group {key!r}; groups are {', '.join(allowed)}.", field="buying_group_key"
        )


def _check_role(role: str, settings: OpportunitySettings) -> None:
    roles = settings.pipelines.roles
    if role not in roles:
        raise Invalid(f"Unknown role {role!r}; roles are {', '.join(roles)}.", field="role", errors=[])
