"""Conversion: the lead becomes a contact on an account, with an owner and one `lead.converted`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.matcher.app.accounts import add_account, update_account
from services.matcher.app.models import Match
from services.matcher.app.uow import MatcherUnitOfWork
from services.matcher.domain.matching import AccountProfile, LeadFacts, account_from_lead
from services.matcher.domain.routing import ACCOUNT_TEAM, Assignment
from shared.assignment import Workload, choose, pool_for, pool_of, rep_of
from shared.events import LeadConverted
from shared.events.catalog import LeadFields
from shared.territory import Place


@dataclass(frozen=True)
class Verdict:
    method: str
    confidence: float
    explanation: str
    resolved_by: str | None = None


async def route(
    uow: MatcherUnitOfWork, owner: str | None, place: Place, *, account_id: str | None = None
) -> Assignment:
    """The account's owner unless the directory knows them inactive; else the next available
    member of the sales pool for the account's territory (its turn's counts locked), who then
    owns the account (`account.updated`)."""
    held = await uow.teams.rep(owner) if owner else None
    if owner and (held is None or held.active):
        return Assignment(owner, "the account's owner")
    if account_id is not None and (account := await uow.accounts.get(account_id)) is not None:
        place = Place.of(account.country or place.country, account.employees)
    pools = [pool_of(p) for p in await uow.teams.pools(ACCOUNT_TEAM)]
    why = f"the account's owner {owner} is inactive; " if owner else ""
    pool = pool_for(pools, ACCOUNT_TEAM, place)
    if pool is None:
        return Assignment(None, f"{why}no {ACCOUNT_TEAM} pool covers {place.describe()}", rule="no_pool")
    counts = await uow.routing.of_pool(pool.pool_id, pool.turn)
    reps = {r.rep_id: rep_of(r) for r in await uow.teams.reps([m.rep_id for m in pool.members])}
    # Owning an account is not work of the hour: working hours do not count, absence does.
    decision = choose(pool, reps, Workload(counts=counts), datetime.now(UTC), place, hours=False)
    if decision.rep_id is not None:
        await uow.routing.count(pool.pool_id, pool.turn, decision.rep_id)
    assignment = Assignment(decision.rep_id, why + decision.explain(), pool.pool_id, decision.rule, pool.turn)
    if account_id is not None and assignment.owner is not None:
        await update_account(uow, account_id, {"owner": assignment.owner})
    return assignment


async def found_account(
    uow: MatcherUnitOfWork, lead: LeadFacts, *, name: str | None = None
) -> tuple[AccountProfile, Assignment, bool]:
    """A new account from the lead (option 1), or the one that claimed its domain meanwhile."""
    new = account_from_lead(lead)
    assignment = await route(uow, None, Place.of(new.country, new.employees))
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
    place = Place.of(lead.country, lead.employees)
    return existing.profile(), await route(uow, existing.owner, place, account_id=existing.account_id), False


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
