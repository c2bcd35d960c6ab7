"""The matcher's event handlers: match every new lead, then convert it or queue it for review;
keep contacts' names and accounts' open opportunities in step."""

from __future__ import annotations

from services.matcher.app.accounts import mark_customer
from services.matcher.app.conversion import Verdict, convert, found_account, route
from services.matcher.app.erasure import on_person_erased
from services.matcher.app.review import queue_for_review
from services.matcher.app.uow import MatcherUnitOfWork
from services.matcher.domain.matching import LeadFacts, decide
from services.matcher.domain.versions import newer_fields
from services.matcher.settings import MatcherSettings
from shared.events import (
    Envelope,
    LeadCreated,
    LeadUpdated,
    OppCreated,
    OppStageChanged,
    PersonErased,
)
from shared.messaging import Handlers
from shared.telemetry import instruments
from shared.territory import Place

PERSON_FIELDS = ("first_name", "last_name", "title")
WON = "closed_won"


async def on_lead_created(
    event: LeadCreated, _: Envelope, uow: MatcherUnitOfWork, settings: MatcherSettings
) -> None:
    await uow.matches.lock_lead(event.lead_id)
    if await uow.matches.get(event.lead_id) is not None:
        return
    early = await uow.matches.take_early_changes(event.lead_id)
    if early is not None:  # lead.updated overtook this event: its changes are newer
        event = event.model_copy(update=early)
    lead = LeadFacts.of(event)
    if event.identified_account_id and await _convert_identified(uow, event, settings):
        return
    decision = decide(lead, await uow.accounts.candidates(lead), settings.match_rules())
    outcome: str = decision.outcome
    if decision.outcome == "matched" and decision.account is not None:
        place = Place.of(lead.country, lead.employees)
        account_id = decision.account.account_id
        assignment = await route(uow, decision.account.owner, place, account_id=account_id)
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


async def _convert_identified(uow: MatcherUnitOfWork, event: LeadCreated, settings: MatcherSettings) -> bool:
    """Research-based identification: someone put this person on an opp of an account; False
    when that account is gone (then the lead is matched as any other)."""
    account = await uow.accounts.get(event.identified_account_id or "")
    if account is None:
        return False
    place = Place.of(event.country, event.employees)
    assignment = await route(uow, account.owner, place, account_id=account.account_id)
    verdict = Verdict("identified", 1.0, f"identified on an opportunity of {account.name}")
    await convert(uow, event.lead_id, event, account.profile(), verdict, assignment, created=False)
    instruments.domain_counter("matches", "Lead-to-account decisions, by outcome and method.").add(
        1, {"outcome": "matched", "method": "identified"}
    )
    return True


async def _convert_to_new_account(
    uow: MatcherUnitOfWork, event: LeadCreated, lead: LeadFacts, explanation: str, settings: MatcherSettings
) -> str:
    """No-match option 1: found an account from the lead (or join the one that just took its domain)."""
    account, assignment, created = await found_account(uow, lead)
    if created:
        verdict = Verdict("account_created", 1.0, f"{explanation}; created the account {account.name}")
    else:
        verdict = Verdict("email_domain", 1.0, f"{explanation}; {account.name} claimed the domain meanwhile")
    await convert(uow, event.lead_id, event, account, verdict, assignment, created=created)
    return "account_created" if created else "matched"


async def on_lead_updated(
    event: LeadUpdated, envelope: Envelope, uow: MatcherUnitOfWork, settings: MatcherSettings
) -> None:
    """Keep the converted contact's name and title in step with the lead, newest version first."""
    person = {k: v for k, v in event.changed.items() if k in PERSON_FIELDS}
    if not person:
        return
    await uow.matches.lock_lead(event.lead_id)
    applied = await uow.matches.field_versions(event.lead_id)
    person, versions = newer_fields(person, applied, envelope.aggregate_version)
    if not person:
        return
    if versions != applied:
        await uow.matches.put_field_versions(event.lead_id, versions)
    if await uow.matches.get(event.lead_id) is None:
        await uow.matches.keep_early_changes(event.lead_id, person)
        return
    await uow.contacts.rename(event.email, person)


def is_open(stage: str) -> bool:
    """Closed stages are named `closed_*` in every pipeline (closed_won, closed_lost)."""
    return not stage.startswith("closed")


async def on_opp_created(
    event: OppCreated, envelope: Envelope, uow: MatcherUnitOfWork, settings: MatcherSettings
) -> None:
    await uow.accounts.track_opp(
        event.opp_id,
        event.account_id,
        event.stage,
        is_open=is_open(event.stage),
        version=envelope.aggregate_version or 0,
    )


async def on_opp_stage_changed(
    event: OppStageChanged, envelope: Envelope, uow: MatcherUnitOfWork, settings: MatcherSettings
) -> None:
    await uow.accounts.track_opp(
        event.opp_id,
        event.account_id,
        event.to_stage,
        is_open=is_open(event.to_stage),
        version=envelope.aggregate_version or 0,
    )
    if event.type == "acquisition" and event.to_stage == WON:
        await mark_customer(uow, event.account_id)


HANDLERS: Handlers = {
    LeadCreated: on_lead_created,
    LeadUpdated: on_lead_updated,
    OppCreated: on_opp_created,
    OppStageChanged: on_opp_stage_changed,
    PersonErased: on_person_erased,
}
