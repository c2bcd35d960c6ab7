"""Matcher's event handlers: match every new lead, then convert it or queue it for review."""

from __future__ import annotations

from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.matcher.candidates import find_candidates, registrable
from services.matcher.conversion import Verdict, convert, found_account, route
from services.matcher.domain.matching import LeadFacts, decide
from services.matcher.review import queue_for_review
from services.matcher.settings import MatcherSettings
from services.matcher.tables import Contact, EarlyLeadChanges, Match
from shared.events import Envelope, LeadCreated, LeadUpdated
from shared.telemetry import instruments
from shared.uow import UnitOfWork

PERSON_FIELDS = ("first_name", "last_name", "title")


async def _lock_lead(uow: UnitOfWork, lead_id: str) -> None:
    """Serialise a lead's created/updated handlers, which arrive on different topics."""
    await uow.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lead_id))"), {"lead_id": lead_id})


def facts(event: LeadCreated) -> LeadFacts:
    return registrable(LeadFacts(**event.model_dump(include=set(LeadFacts.__dataclass_fields__))))


async def on_lead_created(
    event: LeadCreated, _: Envelope, uow: UnitOfWork, *, settings: MatcherSettings
) -> None:
    await _lock_lead(uow, event.lead_id)
    if await uow.session.get(Match, event.lead_id) is not None:
        return
    early = await uow.session.get(EarlyLeadChanges, event.lead_id)
    if early is not None:  # lead.updated overtook this event: its changes are newer
        event = event.model_copy(update=early.changes)
        await uow.session.delete(early)
    lead = facts(event)
    candidates = await find_candidates(uow.session, lead)
    decision = decide(lead, candidates, settings.match_rules())
    outcome: str = decision.outcome
    if decision.outcome == "matched" and decision.account is not None:
        assignment = await route(uow, decision.account.owner, lead.country, settings.pools())
        verdict = Verdict(decision.method, decision.confidence, decision.explanation)
        await convert(uow, event.lead_id, event, decision.account, verdict, assignment, created=False)
    elif decision.outcome == "review":
        await queue_for_review(uow, event, decision, "uncertain match: a person must confirm the account")
    elif settings.matcher_no_match_policy == "review":
        outcome = "review"
        await queue_for_review(uow, event, decision, "no match: pick an account, create one or reject")
    else:
        outcome = await _convert_to_new_account(uow, event, lead, decision.explanation, settings)
    instruments.domain_counter("matches", "Lead-to-account decisions, by outcome and method.").add(
        1, {"outcome": outcome, "method": decision.method}
    )


async def _convert_to_new_account(
    uow: UnitOfWork, event: LeadCreated, lead: LeadFacts, explanation: str, settings: MatcherSettings
) -> str:
    """No-match option 1: found an account from the lead (or join the one that just took its domain)."""
    account, assignment, created = await found_account(uow, lead, settings.pools())
    if created:
        verdict = Verdict("account_created", 1.0, f"{explanation}; created the account {account.name}")
    else:
        verdict = Verdict("email_domain", 1.0, f"{explanation}; {account.name} claimed the domain meanwhile")
    await convert(uow, event.lead_id, event, account, verdict, assignment, created=created)
    return "account_created" if created else "matched"


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
