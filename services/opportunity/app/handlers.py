"""The opportunity service's event handlers: local copies, the conversion and the score automations."""

from __future__ import annotations

from datetime import UTC, datetime

from services.opportunity.app import automations, buying_group
from services.opportunity.app.automations import CONVERSION
from services.opportunity.app.lifecycle import create_opp
from services.opportunity.app.models import AccountCopy, ContactCopy
from services.opportunity.app.uow import OpportunityUnitOfWork
from services.opportunity.settings import OpportunitySettings
from shared.events import AccountCreated, AccountUpdated, Envelope, LeadConverted, LeadScored
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
            version=envelope.aggregate_version or 0,
        )
    )


async def on_lead_converted(
    event: LeadConverted, _: Envelope, uow: OpportunityUnitOfWork, settings: OpportunitySettings
) -> None:
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
    if settings.opportunity_creation_policy == "never":
        return
    now = datetime.now(UTC)
    opp = await create_opp(
        uow,
        settings.pipelines,
        account_id=event.account_id,
        opp_type="acquisition",
        created_by=CONVERSION,
        now=now,
        owner=event.owner,
    ) or await uow.opps.open_of_type(event.account_id, "acquisition", lock=True)
    assert opp is not None, "the one_open_acquisition index said it exists"
    if await uow.groups.member(opp.opp_id, event.contact_id) is None:
        await buying_group.set_role(
            uow,
            opp,
            event.contact_id,
            settings.opportunity_default_contact_role,
            primary=None,
            actor=CONVERSION,
            now=now,
        )
        await automations.advance_if_hot(uow, settings, opp, now=now)


async def on_lead_scored(
    event: LeadScored, envelope: Envelope, uow: OpportunityUnitOfWork, settings: OpportunitySettings
) -> None:
    if event.contact_id is None:
        return  # not converted yet: in no buying group
    await uow.copies.put_score(event.contact_id, event.score, envelope.aggregate_version or 0)
    if event.score <= settings.opportunity_score_threshold or not settings.opportunity_score_automation:
        return
    marketing_stages = {
        (p.type, p.last_marketing.name) for p in settings.pipelines.by_type.values() if p.last_marketing
    }
    now = datetime.now(UTC)
    for opp in await uow.opps.open_with_member(event.contact_id):
        if (opp.type, opp.stage) in marketing_stages:
            await automations.advance_if_hot(uow, settings, opp, now=now)


HANDLERS: Handlers = {
    AccountCreated: on_account_changed,
    AccountUpdated: on_account_changed,
    LeadConverted: on_lead_converted,
    LeadScored: on_lead_scored,
}
