"""Conversion: the lead becomes a contact on an account, with an owner and one `lead.converted`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from services.matcher.app.accounts import add_account
from services.matcher.app.models import Match
from services.matcher.app.uow import MatcherUnitOfWork
from services.matcher.domain.matching import AccountProfile, LeadFacts, account_from_lead
from services.matcher.domain.routing import Assignment, Pool, assign, pool_for
from shared.events import LeadConverted
from shared.events.catalog import LeadFields


@dataclass(frozen=True)
class Verdict:
    method: str
    confidence: float
    explanation: str
    resolved_by: str | None = None


async def route(
    uow: MatcherUnitOfWork, account_owner: str | None, country: str | None, pools: Sequence[Pool]
) -> Assignment:
    """The account's owner, else the next member of the territory pool (its counts locked)."""
    pool = None if account_owner else pool_for(country, pools)
    assigned = await uow.routing.of_pool(pool.name) if pool is not None else {}
    assignment = assign(account_owner, country, pools, assigned)
    if pool is not None and assignment.owner is not None:
        await uow.routing.count(pool.name, assignment.owner)
    return assignment


async def found_account(
    uow: MatcherUnitOfWork, lead: LeadFacts, pools: Sequence[Pool], *, name: str | None = None
) -> tuple[AccountProfile, Assignment, bool]:
    """A new account from the lead (option 1), or the one that claimed its domain meanwhile."""
    new = account_from_lead(lead)
    assignment = await route(uow, None, lead.country, pools)
    fields = {
        "name": name or new.name,
        "domains": list(new.domains),
        "country": new.country,
        "industry": new.industry,
        "employees": new.employees,
        "owner": assignment.owner,
    }
    account, taken = await add_account(uow, fields)
    if not taken:
        return account.profile(), assignment, True
    owner_id = await uow.accounts.owner_of_domain(taken[0])
    existing = await uow.accounts.get(owner_id) if owner_id else None
    assert existing is not None, "a claimed domain always has its account"
    return existing.profile(), await route(uow, existing.owner, lead.country, pools), False


async def convert(
    uow: MatcherUnitOfWork,
    lead_id: str,
    lead: LeadFields,
    account: AccountProfile,
    verdict: Verdict,
    assignment: Assignment,
    *,
    created: bool,
) -> LeadConverted:
    contact_id = await uow.contacts.for_person(
        email=lead.email,
        account_id=account.account_id,
        first_name=lead.first_name,
        last_name=lead.last_name,
        title=lead.title,
    )
    await uow.matches.put(
        Match(
            lead_id=lead_id,
            status="account_created" if created else "matched",
            account_id=account.account_id,
            contact_id=contact_id,
            method=verdict.method,
            confidence=verdict.confidence,
            explanation=verdict.explanation,
            owner=assignment.owner,
            owner_reason=assignment.reason,
        )
    )
    await uow.accounts.touch(account.account_id, datetime.now(UTC))
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
        seniority=lead.seniority,
        department=lead.department,
        campaign=lead.campaign,
    )
    uow.emit(event)
    return event
