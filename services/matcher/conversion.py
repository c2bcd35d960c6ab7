"""Conversion: the lead becomes a contact on an account, with an owner and one lead.converted."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.matcher.accounts import create_account
from services.matcher.domain.matching import AccountProfile, LeadFacts, account_from_lead
from services.matcher.domain.routing import Assignment, Pool, assign, pool_for
from services.matcher.tables import Account, AccountDomain, Contact, Match, RoutingCount
from shared.events import LeadConverted
from shared.events.catalog import LeadFields
from shared.tables import utcnow
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class Verdict:
    method: str
    confidence: float
    explanation: str
    resolved_by: str | None = None


async def route(
    uow: UnitOfWork, account_owner: str | None, country: str | None, pools: Sequence[Pool]
) -> Assignment:
    """The account's owner, else the next member of the territory pool (its counts locked)."""
    pool = None if account_owner else pool_for(country, pools)
    assigned: dict[str, int] = {}
    if pool is not None:
        await uow.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('routing:' || :pool))"), {"pool": pool.name}
        )
        rows = await uow.session.execute(
            select(col(RoutingCount.owner), col(RoutingCount.assigned)).where(
                col(RoutingCount.pool) == pool.name
            )
        )
        assigned = {owner: count for owner, count in rows.tuples()}
    assignment = assign(account_owner, country, pools, assigned)
    if pool is not None and assignment.owner is not None:
        stmt = insert(RoutingCount).values(pool=pool.name, owner=assignment.owner, assigned=1)
        await uow.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["pool", "owner"],
                set_={"assigned": RoutingCount.__table__.c.assigned + 1},  # type: ignore[attr-defined]
            )
        )
    return assignment


async def found_account(
    uow: UnitOfWork, lead: LeadFacts, pools: Sequence[Pool], *, name: str | None = None
) -> tuple[AccountProfile, Assignment, bool]:
    """A new account from the lead (option 1), or the one that claimed its domain meanwhile."""
    new = account_from_lead(lead)
    assignment = await route(uow, None, lead.country, pools)
    account = Account(
        account_id=str(uuid.uuid4()),
        name=name or new.name,
        domains=list(new.domains),
        country=new.country,
        industry=new.industry,
        employees=new.employees,
        owner=assignment.owner,
    )
    taken = await create_account(uow, account)
    if not taken:
        return (
            AccountProfile(account.account_id, account.name, tuple(account.domains), owner=account.owner),
            assignment,
            True,
        )
    owner_id = await uow.session.scalar(
        select(col(AccountDomain.account_id)).where(col(AccountDomain.domain) == taken[0])
    )
    existing = await uow.session.get(Account, owner_id)
    assert existing is not None, "a claimed domain always has its account"
    profile = AccountProfile(
        existing.account_id, existing.name, tuple(existing.domains), owner=existing.owner
    )
    return profile, await route(uow, existing.owner, lead.country, pools), False


async def contact_for(uow: UnitOfWork, lead: LeadFields, account_id: str) -> str:
    """The contact with this email (one email, one contact), created on `account_id` if new.

    `ON CONFLICT DO NOTHING` on the unique email: of two concurrent conversions of one person,
    the second waits for the first's commit and then reads its contact.
    """
    contact_id = await uow.session.scalar(
        insert(Contact)
        .values(
            contact_id=str(uuid.uuid4()),
            email=lead.email,
            account_id=account_id,
            first_name=lead.first_name,
            last_name=lead.last_name,
            title=lead.title,
        )
        .on_conflict_do_nothing(index_elements=["email"])
        .returning(col(Contact.contact_id))
    )
    if contact_id:
        return contact_id
    existing = await uow.session.scalar(
        select(col(Contact.contact_id)).where(col(Contact.email) == lead.email)
    )
    assert existing is not None
    return existing


async def convert(
    uow: UnitOfWork,
    lead_id: str,
    lead: LeadFields,
    account: AccountProfile,
    verdict: Verdict,
    assignment: Assignment,
    *,
    created: bool,
) -> LeadConverted:
    contact_id = await contact_for(uow, lead, account.account_id)
    status = "account_created" if created else "matched"
    values = {
        "status": status,
        "account_id": account.account_id,
        "contact_id": contact_id,
        "method": verdict.method,
        "confidence": verdict.confidence,
        "explanation": verdict.explanation,
        "owner": assignment.owner,
        "owner_reason": assignment.reason,
    }
    await uow.session.execute(
        insert(Match)
        .values(lead_id=lead_id, **values)
        .on_conflict_do_update(index_elements=["lead_id"], set_=values)
    )
    await uow.session.execute(
        update(Account).where(col(Account.account_id) == account.account_id).values(last_activity_at=utcnow())
    )
    event = LeadConverted(
        lead_id=lead_id,
        contact_id=contact_id,
        account_id=account.account_id,
        account_created=created,
        method=verdict.method,
        confidence=verdict.confidence,
        explanation=verdict.explanation,
        owner=assignment.owner,
        owner_reason=assignment.reason,
        resolved_by=verdict.resolved_by,
        email=lead.email,
        first_name=lead.first_name,
        last_name=lead.last_name,
        title=lead.title,
    )
    uow.emit(event)
    return event
