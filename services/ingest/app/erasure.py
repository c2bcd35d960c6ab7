"""Erasure (GDPR art. 17): a person's data goes from ingest at once, and `person.erased` tells
every other service to do the same. What is kept is that it happened: the lead's id, its
engagements' kinds and times (counts stay true), and the email's hash, so a source sending
the person again records them only with fresh marketing consent."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from services.ingest.app.uow import IngestUnitOfWork
from services.ingest.domain import normalise
from services.ingest.domain.leads import StoredLead
from shared.errors import Conflict, Invalid, NotFound
from shared.events import PersonErased, erased_email
from shared.telemetry import instruments


class Erased(Conflict):
    """The person asked to be erased: they are recorded again only with fresh marketing consent."""

    @classmethod
    def of_email(cls) -> Erased:
        return cls(
            "This person asked to be erased; they are recorded again only with fresh marketing consent.",
            field="email",
            reason="erased",
        )


@dataclass(frozen=True)
class Erasure:
    erasure_id: str
    lead_ids: list[str]
    contact_ids: list[str]


def email_hash(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()


def normalised(email: str) -> str:
    try:
        return normalise.normalise_email(email)
    except normalise.InvalidEmail as exc:
        raise Invalid(f"email: {exc}", errors=[{"field": "email", "reason": str(exc)}]) from exc


async def erase(
    uow: IngestUnitOfWork,
    *,
    requested_by: str,
    email: str | None = None,
    source: str | None = None,
    source_id: str | None = None,
) -> Erasure:
    """Erase the person with this email, or the one a source knows by `source_id`."""
    lead = await _find(uow, email, source, source_id)
    address = lead.email if lead is not None else normalised(email or "")
    leads = [lead] if lead is not None else []
    erasure = Erasure(
        erasure_id=str(uuid.uuid4()),
        lead_ids=[found.lead_id for found in leads],
        contact_ids=[found.contact_id for found in leads if found.contact_id],
    )
    hashed = email_hash(address)
    await _erase_leads(uow, erasure.lead_ids, address)
    await uow.erasures.add(
        erasure_id=erasure.erasure_id, email_hash=hashed, requested_by=requested_by, leads=len(leads)
    )
    await uow.forget(erasure.lead_ids)
    uow.emit(
        PersonErased(
            erasure_id=erasure.erasure_id,
            lead_ids=erasure.lead_ids,
            contact_ids=erasure.contact_ids,
            email_hash=hashed,
            requested_by=requested_by,
        )
    )
    instruments.domain_counter("people.erased", "People erased on request.").add(1)
    return erasure


async def _find(
    uow: IngestUnitOfWork, email: str | None, source: str | None, source_id: str | None
) -> StoredLead | None:
    if email:
        return await uow.leads.by_email(normalised(email), lock=True)
    lead_id = await uow.source_ids.lead_for(source or "", source_id or "")
    if lead_id is None:
        raise NotFound(f"No lead is known by {source} id {source_id}.")
    return await uow.leads.get(lead_id, lock=True)


async def _erase_leads(uow: IngestUnitOfWork, lead_ids: list[str], email: str) -> None:
    for lead_id in lead_ids:
        await uow.leads.erase(lead_id, marker=erased_email(lead_id))
    await uow.engagements.strip(lead_ids)
    await uow.source_ids.forget(lead_ids)
    await uow.deliveries.redact(lead_ids, datetime.now(UTC))
    await uow.quarantine.forget(lead_ids, email)
