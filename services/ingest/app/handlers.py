"""Ingest's event handlers: a lead follows what the matcher decided for it."""

from __future__ import annotations

from services.ingest.app.leads import record_lead
from services.ingest.app.uow import IngestUnitOfWork
from services.ingest.domain.inputs import LeadIn
from services.ingest.domain.leads import normalised_lead
from services.ingest.settings import IngestSettings
from shared.events import Envelope, LeadConverted, LeadRejected, PersonIdentified
from shared.messaging import Handlers


async def on_lead_converted(
    event: LeadConverted, _: Envelope, uow: IngestUnitOfWork, settings: IngestSettings
) -> None:
    await uow.leads.set_status(
        event.lead_id, "converted", account_id=event.account_id, contact_id=event.contact_id
    )


async def on_person_identified(
    event: PersonIdentified, _: Envelope, uow: IngestUnitOfWork, settings: IngestSettings
) -> None:
    """Someone put a person on an opp: the person becomes a lead, converted onto that account."""
    person = LeadIn(
        email=event.email,
        first_name=event.first_name,
        last_name=event.last_name,
        title=event.title,
        source="identified",
    )
    await record_lead(uow, normalised_lead(person), identified_account_id=event.account_id)


async def on_lead_rejected(
    event: LeadRejected, _: Envelope, uow: IngestUnitOfWork, settings: IngestSettings
) -> None:
    await uow.leads.set_status(event.lead_id, "rejected")


HANDLERS: Handlers = {
    LeadConverted: on_lead_converted,
    LeadRejected: on_lead_rejected,
    PersonIdentified: on_person_identified,
}
