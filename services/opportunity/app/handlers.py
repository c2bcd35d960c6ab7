"""The opportunity service's event handlers: local copies, inbound identification of converted
people, and the automations that engagement and scores set off."""

from __future__ import annotations

from datetime import UTC, datetime

from services.opportunity.app import automations, identification, routes
from services.opportunity.app.models import AccountCopy, ContactCopy
from services.opportunity.app.uow import OpportunityUnitOfWork
from services.opportunity.settings import OpportunitySettings
from shared.events import (
    AccountCreated,
    AccountUpdated,
    EngagementRecorded,
    Envelope,
    LeadConverted,
    LeadScored,
    PersonErased,
    PoolUpdated,
    RepUpdated,
    is_erased,
)
from shared.messaging import Handlers


async def on_account_changed(
    event: AccountCreated | AccountUpdated,
    envelope: Envelope,
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
) -> None:
    await uow.copies.put_account(
        AccountCopy(
            account_id=event.account_id,
            name=event.name,
            owner=event.owner,
            csm=event.csm,
            is_customer=event.is_customer,
            country=event.country,
            employees=event.employees,
            version=envelope.aggregate_version or 0,
        )
    )


async def on_rep_updated(
    event: RepUpdated, envelope: Envelope, uow: OpportunityUnitOfWork, settings: OpportunitySettings
) -> None:
    await uow.teams.put_rep(event, envelope.aggregate_version or 0)


async def on_pool_updated(
    event: PoolUpdated, envelope: Envelope, uow: OpportunityUnitOfWork, settings: OpportunitySettings
) -> None:
    await uow.teams.put_pool(event, envelope.aggregate_version or 0)


async def on_lead_converted(
    event: LeadConverted, _: Envelope, uow: OpportunityUnitOfWork, settings: OpportunitySettings
) -> None:
    held = await uow.copies.contact(event.contact_id)
    if held is not None and is_erased(held.email):
        return  # converted before the person was erased, delivered after
    await uow.copies.put_contact(
        ContactCopy(
            contact_id=event.contact_id,
            account_id=event.account_id,
            email=event.email,
            first_name=event.first_name,
            last_name=event.last_name,
            title=event.title,
        )
    )
    await uow.activity.link_lead(event.lead_id, event.contact_id, event.account_id)
    await identification.place(uow, settings, event, now=datetime.now(UTC))


async def on_engagement_recorded(
    event: EngagementRecorded, _: Envelope, uow: OpportunityUnitOfWork, settings: OpportunitySettings
) -> None:
    """A person of the account engaged: the account's open opps may move on (account engagement)."""
    if event.kind not in settings.opportunity_engagement_kinds:
        return
    if not await uow.activity.record_engagement(
        event.engagement_id, event.lead_id, event.kind, event.occurred_at
    ):
        return
    account_id = await uow.activity.account_of_lead(event.lead_id)
    if account_id is None:
        return  # not converted yet: its conversion counts it
    now = datetime.now(UTC)
    for opp in await uow.opps.open_of_account(account_id):
        await automations.advance_on_engagement(uow, settings, opp, now=now)


async def on_lead_scored(
    event: LeadScored, envelope: Envelope, uow: OpportunityUnitOfWork, settings: OpportunitySettings
) -> None:
    if event.contact_id is None:
        return  # not converted yet: in no buying group
    await uow.copies.put_score(event.contact_id, event.score, envelope.aggregate_version or 0)
    now = datetime.now(UTC)
    if event.score > settings.opportunity_score_threshold and settings.opportunity_score_automation:
        marketing_stages = {
            (p.type, p.last_marketing.name) for p in settings.pipelines.by_type.values() if p.last_marketing
        }
        for opp in await uow.opps.open_with_member(event.contact_id):
            if (opp.type, opp.stage) in marketing_stages:
                await automations.advance_if_hot(uow, settings, opp, now=now)
    await routes.on_lifecycle(uow, settings, event, now=now)  # after the opps it may have moved


async def on_person_erased(
    event: PersonErased, _: Envelope, uow: OpportunityUnitOfWork, settings: OpportunitySettings
) -> None:
    """The person's contact copy anonymised: a member stays in its buying group, without a name."""
    contacts = await uow.copies.erase_people(event.lead_ids, event.contact_ids, event.email_hash)
    await uow.identified.erase(event.email_hash)
    await uow.forget([*event.lead_ids, *contacts])


HANDLERS: Handlers = {
    AccountCreated: on_account_changed,
    AccountUpdated: on_account_changed,
    LeadConverted: on_lead_converted,
    EngagementRecorded: on_engagement_recorded,
    LeadScored: on_lead_scored,
    PersonErased: on_person_erased,
    RepUpdated: on_rep_updated,
    PoolUpdated: on_pool_updated,
}
