"""Ingest's event handlers: a lead follows what the matcher decided for it."""

from __future__ import annotations

from services.ingest.app.uow import IngestUnitOfWork
from services.ingest.settings import IngestSettings
from shared.events import Envelope, LeadConverted, LeadRejected
from shared.messaging import Handlers


async def on_lead_converted(
    event: LeadConverted, _: Envelope, uow: IngestUnitOfWork, settings: IngestSettings
) -> None:
    await uow.leads.set_status(
        event.lead_id, "converted", account_id=event.account_id, contact_id=event.contact_id
    )


async def on_lead_rejected(
    event: LeadRejected, _: Envelope, uow: IngestUnitOfWork, settings: IngestSettings
) -> None:
    await uow.leads.set_status(event.lead_id, "rejected")


HANDLERS: Handlers = {
    LeadConverted: on_lead_converted,
    LeadRejected: on_lead_rejected,
}
