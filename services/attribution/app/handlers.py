"""Attribution's event handlers: keep copies of people, touches and opps, and refresh the stored
attribution of the opps each event affects (and only those)."""

from __future__ import annotations

import math

from services.attribution.app import attribute, campaigns
from services.attribution.app.models import MembershipChange, OppChange, TouchIn
from services.attribution.app.uow import AttributionUnitOfWork
from services.attribution.domain.campaigns import reference
from services.attribution.settings import AttributionSettings
from shared.events import (
    EngagementRecorded,
    Envelope,
    LeadConverted,
    LeadCreated,
    OppContactRoleChanged,
    OppCreated,
    OppStageChanged,
    OppUpdated,
    PersonErased,
)
from shared.messaging import Handlers


def cents(amount: object) -> int | None:
    """An amount in the currency's units as integer cents (None, or what is no number: unknown)."""
    if amount is None or isinstance(amount, bool):
        return None
    try:
        value = float(str(amount))
    except ValueError:
        return None
    return round(value * 100) if math.isfinite(value) else None


async def on_lead_created(
    event: LeadCreated, envelope: Envelope, uow: AttributionUnitOfWork, settings: AttributionSettings
) -> None:
    await uow.people.lock(leads=[event.lead_id])
    ref = reference(event.source, event.campaign)
    original = await campaigns.resolve(uow, ref, f"lead from {event.source}") if ref else None
    await uow.people.created(event.lead_id, envelope.time, original)
    contact = await uow.people.contact_of(event.lead_id)
    if contact is not None:  # converted before this arrived: its opps' lead-creation touch moves
        await uow.people.lock(contacts=[contact])
        attribute.later(uow, settings, await uow.opps.of_contacts([contact]))


async def on_engagement_recorded(
    event: EngagementRecorded, _: Envelope, uow: AttributionUnitOfWork, settings: AttributionSettings
) -> None:
    ref = reference(event.source, event.campaign, event.campaign_external_id)
    if ref is None:
        return  # a touch is an engagement in a campaign
    await uow.people.lock(leads=[event.lead_id])
    if await uow.people.is_erased(event.lead_id):
        return
    touch = TouchIn(
        touch_id=event.engagement_id,
        lead_id=event.lead_id,
        campaign_id=await campaigns.resolve(uow, ref, f"engagement from {event.source or 'unknown'}"),
        kind=event.kind,
        occurred_at=event.occurred_at,
    )
    if not await uow.touches.add(touch):
        return
    contact = await uow.people.contact_of(event.lead_id)
    if contact is not None:
        await uow.people.lock(contacts=[contact])
        attribute.later(uow, settings, await uow.opps.of_contacts([contact]))


async def on_lead_converted(
    event: LeadConverted, _: Envelope, uow: AttributionUnitOfWork, settings: AttributionSettings
) -> None:
    await uow.people.lock(leads=[event.lead_id])
    await uow.people.lock(contacts=[event.contact_id])
    await uow.people.converted(event.lead_id, event.contact_id, event.account_id)
    attribute.later(uow, settings, await uow.opps.of_contacts([event.contact_id]))


async def on_opp_created(
    event: OppCreated, envelope: Envelope, uow: AttributionUnitOfWork, settings: AttributionSettings
) -> None:
    await uow.credits.lock([event.opp_id])  # a membership change of the opp waits for this
    change = OppChange(
        opp_id=event.opp_id,
        account_id=event.account_id,
        type=event.type,
        at=envelope.time,
        created_at=envelope.time,
        stage=event.stage,
        amount_cents=cents(event.amount),
        amount_given=True,
    )
    await uow.opps.apply(change)
    attribute.later(uow, settings, [event.opp_id])


async def on_opp_updated(
    event: OppUpdated, _: Envelope, uow: AttributionUnitOfWork, settings: AttributionSettings
) -> None:
    await uow.credits.lock([event.opp_id])  # a membership change of the opp waits for this
    given = "amount" in event.changed
    change = OppChange(
        opp_id=event.opp_id,
        account_id=event.account_id,
        type=event.type,
        at=event.at,
        amount_cents=cents(event.changed.get("amount")),
        amount_given=given,
    )
    await uow.opps.apply(change)
    if given:
        attribute.later(uow, settings, [event.opp_id])


async def on_opp_stage_changed(
    event: OppStageChanged, _: Envelope, uow: AttributionUnitOfWork, settings: AttributionSettings
) -> None:
    await uow.credits.lock([event.opp_id])  # a membership change of the opp waits for this
    change = OppChange(
        opp_id=event.opp_id,
        account_id=event.account_id,
        type=event.type,
        at=event.at,
        created_at=event.at if event.kind == "created" else None,
        stage=event.to_stage,
    )
    await uow.opps.apply(change)
    attribute.later(uow, settings, [event.opp_id])


async def on_contact_role_changed(
    event: OppContactRoleChanged,
    envelope: Envelope,
    uow: AttributionUnitOfWork,
    settings: AttributionSettings,
) -> None:
    await uow.people.lock(contacts=[event.contact_id])
    await uow.credits.lock([event.opp_id])  # the opp's own events and its refresh wait for this
    status = None if event.change == "removed" else event.status
    await uow.opps.change_member(
        MembershipChange(
            opp_id=event.opp_id, contact_id=event.contact_id, status=status, role=event.role, at=envelope.time
        )
    )
    attribute.later(uow, settings, [event.opp_id])


async def on_person_erased(
    event: PersonErased, _: Envelope, uow: AttributionUnitOfWork, settings: AttributionSettings
) -> None:
    await uow.people.lock(leads=event.lead_ids)
    await uow.people.lock(contacts=event.contact_ids)
    contacts = await uow.people.erase(event.lead_ids, event.contact_ids)
    await uow.forget([*event.lead_ids, *contacts])  # dead letters of their events (email in them)
    attribute.later(uow, settings, await uow.opps.of_contacts(contacts))


HANDLERS: Handlers = {
    LeadCreated: on_lead_created,
    EngagementRecorded: on_engagement_recorded,
    LeadConverted: on_lead_converted,
    OppCreated: on_opp_created,
    OppUpdated: on_opp_updated,
    OppStageChanged: on_opp_stage_changed,
    OppContactRoleChanged: on_contact_role_changed,
    PersonErased: on_person_erased,
}
