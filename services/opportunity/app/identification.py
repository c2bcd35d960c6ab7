"""Where a converted person goes: onto the opp someone identified them for (research-based
identification), else by inbound identification onto the right open opps, as a potential member
with a suggested role; never a confirmed one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.opportunity.app import automations, buying_group
from services.opportunity.app.automations import CONVERSION, IDENTIFIED
from services.opportunity.app.lifecycle import create_opp
from services.opportunity.app.models import IdentifiedPerson, Opportunity
from services.opportunity.app.uow import OpportunityUnitOfWork
from services.opportunity.domain.identification import OpenOpp, identify
from services.opportunity.domain.personas import suggest
from services.opportunity.settings import OpportunitySettings
from shared.errors import Invalid, NotFound
from shared.events import LeadConverted, PersonIdentified


async def place(
    uow: OpportunityUnitOfWork, settings: OpportunitySettings, event: LeadConverted, *, now: datetime
) -> None:
    if await _identified(uow, settings, event, now=now) or settings.opportunity_creation_policy == "never":
        return
    open_opps = await uow.opps.open_of_account(event.account_id)
    account = await uow.copies.account(event.account_id)
    customer = bool(account and account.is_customer) or await uow.opps.won_acquisition(event.account_id)
    key = settings.group_rules.key_of(event.campaign, event.department)
    decided = identify(
        [OpenOpp(o.opp_id, o.type, o.buying_group_key) for o in open_opps], customer=customer, key=key
    )
    targets = [o for o in open_opps if o.opp_id in decided.join]
    if decided.found:
        targets = [await _found(uow, settings, event, decided.found_key, now=now)]
    suggestion = suggest(
        settings.personas, title=event.title, seniority=event.seniority, department=event.department
    )
    for opp in targets:
        added_by = CONVERSION if decided.found else IDENTIFIED
        if await buying_group.add_potential(
            uow, opp, event.contact_id, suggestion=suggestion, added_by=added_by, now=now
        ):
            await automations.advance(uow, settings, opp, now=now)


async def _found(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    event: LeadConverted,
    key: str | None,
    *,
    now: datetime,
) -> Opportunity:
    """The buying group's Acquisition opp, founded now, or by a concurrent conversion a moment ago."""
    opp = await create_opp(
        uow,
        settings,
        account_id=event.account_id,
        opp_type="acquisition",
        created_by=CONVERSION,
        now=now,
        owner=event.owner,
        buying_group_key=key,
    ) or await uow.opps.open_acquisition(event.account_id, key)
    assert opp is not None, "the one-open-acquisition-per-group index said it exists"
    return opp


async def _identified(
    uow: OpportunityUnitOfWork, settings: OpportunitySettings, event: LeadConverted, *, now: datetime
) -> bool:
    """Apply what someone said of this person before they were a contact; False when nobody did."""
    waiting = await uow.identified.pending(event.email)
    for person in waiting:
        opp = await uow.opps.get(person.opp_id, lock=True)
        refused = _refusal(opp, event)
        if opp is not None and refused is None:
            await _add(uow, settings, opp, event.contact_id, person.role, actor=person.identified_by, now=now)
        status: Literal["added", "refused"] = "refused" if refused else "added"
        await uow.identified.put(
            person.model_copy(update={"status": status, "reason": refused, "contact_id": event.contact_id})
        )
    return bool(waiting)


def _refusal(opp: Opportunity | None, event: LeadConverted) -> str | None:
    if opp is None or opp.closed_at is not None:
        return "the opp is closed"
    if opp.account_id != event.account_id:
        return f"the person is a contact of another account ({event.account_id})"
    return None


async def _add(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    opp: Opportunity,
    contact_id: str,
    role: str | None,
    *,
    actor: str,
    now: datetime,
) -> None:
    if role:
        await buying_group.confirm(uow, opp, contact_id, role, primary=None, actor=actor, now=now)
    else:
        await buying_group.add_potential(uow, opp, contact_id, suggestion=None, added_by=actor, now=now)
    await automations.advance(uow, settings, opp, now=now)


@dataclass(frozen=True)
class PersonIn:
    email: str
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class PersonOutcome:
    email: str
    outcome: Literal["added", "pending", "refused"]
    contact_id: str | None = None
    reason: str | None = None


async def identify_people(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    opp_id: str,
    people: list[PersonIn],
    *,
    actor: str,
    now: datetime,
) -> list[PersonOutcome]:
    """People found with a prospecting tool, put on the opp: a contact already on its account
    joins at once; anyone else becomes a lead converted onto the account, then joins."""
    opp = await uow.opps.get(opp_id, lock=True)
    if opp is None:
        raise NotFound(f"No opportunity {opp_id}.")
    unknown = sorted({p.role for p in people if p.role and p.role not in settings.pipelines.roles})
    if unknown:
        raise Invalid(
            f"Unknown roles {unknown}; roles are {', '.join(settings.pipelines.roles)}.", field="role"
        )
    return [await _identify(uow, settings, opp, person, actor=actor, now=now) for person in people]


async def _identify(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    opp: Opportunity,
    person: PersonIn,
    *,
    actor: str,
    now: datetime,
) -> PersonOutcome:
    email = person.email.strip().lower()
    contact = await uow.copies.contact_by_email(email)
    if contact is not None and contact.account_id != opp.account_id:
        return PersonOutcome(
            email, "refused", contact.contact_id, f"a contact of another account ({contact.account_id})"
        )
    if contact is not None:
        await _add(uow, settings, opp, contact.contact_id, person.role, actor=actor, now=now)
        return PersonOutcome(email, "added", contact.contact_id)
    await uow.identified.put(
        IdentifiedPerson(
            opp_id=opp.opp_id, email=email, role=person.role, identified_by=actor, identified_at=now
        )
    )
    uow.emit(
        PersonIdentified(
            opp_id=opp.opp_id,
            account_id=opp.account_id,
            email=email,
            first_name=person.first_name,
            last_name=person.last_name,
            title=person.title,
            identified_by=actor,
        )
    )
    return PersonOutcome(email, "pending")
