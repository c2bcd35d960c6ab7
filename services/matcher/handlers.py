"""Matcher's event handlers: match and convert every new lead."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.matcher.accounts import account_for_domain, create_account
from services.matcher.domain.matching import AccountRef, LeadFacts, account_from_lead, decide
from services.matcher.tables import Account, Contact, EarlyLeadChanges, Match
from shared.events import Envelope, LeadConverted, LeadCreated, LeadUpdated
from shared.telemetry import instruments
from shared.uow import UnitOfWork

PERSON_FIELDS = ("first_name", "last_name", "title")


async def _lock_lead(uow: UnitOfWork, lead_id: str) -> None:
    """Serialise a lead's created/updated handlers, which arrive on different topics."""
    await uow.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lead_id))"), {"lead_id": lead_id})


async def on_lead_created(event: LeadCreated, _: Envelope, uow: UnitOfWork) -> None:
    await _lock_lead(uow, event.lead_id)
    if await uow.session.get(Match, event.lead_id) is not None:
        return
    early = await uow.session.get(EarlyLeadChanges, event.lead_id)
    if early is not None:  # lead.updated overtook this event: its changes are newer
        event = event.model_copy(update=early.changes)
        await uow.session.delete(early)
    lead = LeadFacts(**event.model_dump(include=set(LeadFacts.__dataclass_fields__)))
    decision = decide(
        lead,
        by_email_domain=None if lead.is_free_mail else await account_for_domain(uow, lead.email_domain),
        by_website_domain=await account_for_domain(uow, lead.website_domain),
    )
    account, method, confidence, explanation = (
        decision.account,
        decision.method,
        decision.confidence,
        decision.explanation,
    )
    created = False
    if account is None:
        account, created = await _found_account(uow, lead)
        method, confidence = ("account_created", 1.0) if created else ("email_domain", 1.0)
        explanation += (
            f"; created the account {account.name}"
            if created
            else (f"; {account.name} claimed the domain meanwhile")
        )
    contact_id = await _contact_for(uow, event, account.account_id)
    status = "account_created" if created else "matched"
    uow.session.add(
        Match(
            lead_id=event.lead_id,
            status=status,
            account_id=account.account_id,
            contact_id=contact_id,
            method=method,
            confidence=confidence,
            explanation=explanation,
            owner=account.owner,
        )
    )
    uow.emit(
        LeadConverted(
            lead_id=event.lead_id,
            contact_id=contact_id,
            account_id=account.account_id,
            account_created=created,
            method=method,
            confidence=confidence,
            explanation=explanation,
            owner=account.owner,
            email=event.email,
            first_name=event.first_name,
            last_name=event.last_name,
            title=event.title,
        )
    )
    instruments.domain_counter("matches", "Lead-to-account decisions, by outcome and method.").add(
        1, {"outcome": status, "method": method}
    )


async def _found_account(uow: UnitOfWork, lead: LeadFacts) -> tuple[AccountRef, bool]:
    new = account_from_lead(lead)
    account = Account(
        account_id=str(uuid.uuid4()),
        name=new.name,
        domains=list(new.domains),
        country=new.country,
        industry=new.industry,
        employees=new.employees,
    )
    taken = await create_account(uow, account)
    if not taken:
        return AccountRef(account.account_id, account.name, account.owner), True
    owner = await account_for_domain(uow, taken[0])
    assert owner is not None, "a claimed domain always has its account"
    return owner, False


async def _contact_for(uow: UnitOfWork, event: LeadCreated, account_id: str) -> str:
    """The contact with this email (one email, one contact), created on `account_id` if new."""
    contact_id = await uow.session.scalar(
        insert(Contact)
        .values(
            contact_id=str(uuid.uuid4()),
            email=event.email,
            account_id=account_id,
            first_name=event.first_name,
            last_name=event.last_name,
            title=event.title,
        )
        .on_conflict_do_nothing(index_elements=["email"])
        .returning(col(Contact.contact_id))
    )
    if contact_id:
        return contact_id
    existing = await uow.session.scalar(
        select(col(Contact.contact_id)).where(col(Contact.email) == event.email)
    )
    assert existing is not None
    return existing


async def on_lead_updated(event: LeadUpdated, _: Envelope, uow: UnitOfWork) -> None:
    """Keep the converted contact's name and title in step with the lead."""
    person = {k: v for k, v in event.changed.items() if k in PERSON_FIELDS}
    if not person:
        return
    await _lock_lead(uow, event.lead_id)
    if await uow.session.get(Match, event.lead_id) is None:
        stmt = insert(EarlyLeadChanges).values(lead_id=event.lead_id, changes=person)
        merged = EarlyLeadChanges.__table__.c.changes.op("||")(stmt.excluded.changes)  # type: ignore[attr-defined]
        await uow.session.execute(
            stmt.on_conflict_do_update(index_elements=["lead_id"], set_={"changes": merged})
        )
        return
    await uow.session.execute(update(Contact).where(col(Contact.email) == event.email).values(**person))
