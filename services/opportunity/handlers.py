"""Opportunity's event handlers: local copies, the conversion and the score automations."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.opportunity import automations, buying_group
from services.opportunity.automations import CONVERSION
from services.opportunity.lifecycle import create_opp
from services.opportunity.settings import OpportunitySettings
from services.opportunity.tables import AccountCopy, ContactCopy, ContactRole, ContactScore, Opportunity
from shared.events import AccountCreated, AccountUpdated, Envelope, LeadConverted, LeadScored
from shared.uow import UnitOfWork


async def on_account_changed(
    event: AccountCreated | AccountUpdated, envelope: Envelope, uow: UnitOfWork
) -> None:
    version = envelope.aggregate_version or 0
    values = {
        "name": event.name,
        "owner": event.owner,
        "csm": event.csm,
        "is_customer": event.is_customer,
        "version": version,
    }
    stmt = insert(AccountCopy).values(account_id=event.account_id, **values)
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["account_id"],
            set_=values,
            where=col(AccountCopy.version) <= version,  # a stale event changes nothing
        )
    )


async def on_lead_converted(
    event: LeadConverted, _: Envelope, uow: UnitOfWork, *, settings: OpportunitySettings
) -> None:
    contact = {
        "account_id": event.account_id,
        "email": event.email,
        "first_name": event.first_name,
        "last_name": event.last_name,
        "title": event.title,
    }
    await uow.session.execute(
        insert(ContactCopy)
        .values(contact_id=event.contact_id, **contact)
        .on_conflict_do_update(index_elements=["contact_id"], set_=contact)
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
    ) or await _open_acquisition(uow, event.account_id)
    if await uow.session.get(ContactRole, (opp.opp_id, event.contact_id)) is None:
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


async def _open_acquisition(uow: UnitOfWork, account_id: str) -> Opportunity:
    """The account's open Acquisition opp (inbound identification joins it), locked."""
    existing = await uow.session.scalar(
        select(Opportunity)
        .where(
            col(Opportunity.account_id) == account_id,
            col(Opportunity.type) == "acquisition",
            col(Opportunity.closed_at).is_(None),
        )
        .with_for_update()
    )
    assert existing is not None, "the one_open_acquisition index said it exists"
    return existing


async def on_lead_scored(
    event: LeadScored, envelope: Envelope, uow: UnitOfWork, *, settings: OpportunitySettings
) -> None:
    if event.contact_id is None:
        return  # not converted yet: in no buying group
    version = envelope.aggregate_version or 0
    await uow.session.execute(
        insert(ContactScore)
        .values(contact_id=event.contact_id, score=event.score, version=version)
        .on_conflict_do_update(
            index_elements=["contact_id"],
            set_={"score": event.score, "version": version},
            where=col(ContactScore.version) <= version,
        )
    )
    if event.score <= settings.opportunity_score_threshold or not settings.opportunity_score_automation:
        return
    marketing_stages = {
        (p.type, p.last_marketing.name) for p in settings.pipelines.by_type.values() if p.last_marketing
    }
    opps = await uow.session.scalars(
        select(Opportunity)
        .join(ContactRole, col(ContactRole.opp_id) == col(Opportunity.opp_id))
        .where(col(ContactRole.contact_id) == event.contact_id, col(Opportunity.closed_at).is_(None))
        .order_by(col(Opportunity.opp_id))
        .with_for_update(of=Opportunity)
    )
    now = datetime.now(UTC)
    for opp in list(opps):
        if (opp.type, opp.stage) in marketing_stages:
            await automations.advance_if_hot(uow, settings, opp, now=now)
