"""Accounts and buying groups as scoring sees them, fed by matcher and opportunity events, and the
lifecycle moves they cause: a contact in an open deal's group is at `opportunity`, one in a won
deal or on a customer account is `customer`; an account's firmographics fill its contacts' fit."""

from __future__ import annotations

from datetime import UTC, datetime

from services.scoring.app import scorer, segments
from services.scoring.app.models import AccountFacts, Membership
from services.scoring.app.uow import ScoringUnitOfWork
from services.scoring.domain import lifecycle
from services.scoring.settings import ScoringSettings
from shared.events import (
    AccountCreated,
    AccountUpdated,
    Envelope,
    OppContactRoleChanged,
    OppCreated,
    OppStageChanged,
)

WON = "closed_won"


async def _advance(
    uow: ScoringUnitOfWork,
    contact_ids: list[str],
    to: str,
    actor: str,
    reason: str,
    settings: ScoringSettings,
) -> None:
    now = datetime.now(UTC)
    for person in await uow.people.by_contacts(contact_ids, lock=True):
        stage = lifecycle.by_deal(person.lifecycle_stage, to)
        if stage is None:
            continue
        change = await scorer.move(
            uow, person, lifecycle.Change(person.lifecycle_stage, stage, now, actor, reason)
        )
        await scorer.settle(uow, person, settings, now, change=change)


async def on_opp_created(
    event: OppCreated, _: Envelope, uow: ScoringUnitOfWork, settings: ScoringSettings
) -> None:
    await uow.deals.put(event.opp_id, event.account_id, event.stage)


async def on_opp_stage_changed(
    event: OppStageChanged, _: Envelope, uow: ScoringUnitOfWork, settings: ScoringSettings
) -> None:
    await uow.deals.put(event.opp_id, event.account_id, event.to_stage)
    group = await uow.deals.members(event.opp_id)
    if event.to_stage == WON:
        members = [m.contact_id for m in group if m.status == "confirmed"]
        await uow.people.lock_contacts(members)
        await _advance(uow, members, "customer", event.actor, f"deal {event.opp_id} won", settings)
    await segments.refresh_contacts(uow, settings, [m.contact_id for m in group], datetime.now(UTC))


async def on_contact_role_changed(
    event: OppContactRoleChanged, _: Envelope, uow: ScoringUnitOfWork, settings: ScoringSettings
) -> None:
    await uow.people.lock_contacts([event.contact_id])
    await uow.deals.put(event.opp_id, event.account_id, None)
    if event.change == "removed":
        await uow.deals.remove_member(event.opp_id, event.contact_id)
        await _refresh_group(uow, settings, event.opp_id, event.contact_id)
        return
    await uow.deals.put_member(
        Membership(
            opp_id=event.opp_id,
            contact_id=event.contact_id,
            account_id=event.account_id,
            role=event.role,
            status=event.status,
            suggested_role=event.suggested_role,
            is_primary=event.primary,
        )
    )
    if event.status == "confirmed" and await uow.deals.stage_of_contact(event.contact_id) == "opportunity":
        reason = f"confirmed as {event.role} in the buying group of deal {event.opp_id}"
        await _advance(uow, [event.contact_id], "opportunity", "buying group", reason, settings)
    await _refresh_group(uow, settings, event.opp_id, event.contact_id)


async def _refresh_group(
    uow: ScoringUnitOfWork, settings: ScoringSettings, opp_id: str, contact_id: str
) -> None:
    group = [m.contact_id for m in await uow.deals.members(opp_id)]
    await segments.refresh_contacts(uow, settings, [contact_id, *group], datetime.now(UTC))


async def on_account_changed(
    event: AccountCreated | AccountUpdated,
    envelope: Envelope,
    uow: ScoringUnitOfWork,
    settings: ScoringSettings,
) -> None:
    account = AccountFacts(
        account_id=event.account_id,
        industry=event.industry,
        employees=event.employees,
        country=event.country,
        is_customer=event.is_customer,
        version=envelope.aggregate_version or 0,
    )
    if not await uow.accounts.put(account):
        return  # an older version than the one already applied
    now = datetime.now(UTC)
    for person in await uow.people.of_account(account.account_id):
        scorer.refit(person, settings, now, account)
        change = None
        to = lifecycle.by_deal(person.lifecycle_stage, "customer") if account.is_customer else None
        if to:
            why = f"account {event.name} is a customer"
            change = await scorer.move(
                uow, person, lifecycle.Change(person.lifecycle_stage, to, now, "account", why)
            )
        await scorer.settle(uow, person, settings, now, change=change)
