"""Ingest's use cases for people: record a lead (or what changed of it) and an engagement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.ingest.app.erasure import Erased
from services.ingest.app.uow import IngestUnitOfWork
from services.ingest.domain import normalise
from services.ingest.domain.inputs import EngagementIn, LeadIn
from services.ingest.domain.leads import (
    IDENTITY_FIELDS,
    PERSON_FIELDS,
    StoredLead,
    changed_fields,
    consented,
    normalised_lead,
)
from shared.errors import Conflict, Invalid, NotFound
from shared.events import EngagementRecorded, LeadCreated, LeadUpdated
from shared.telemetry import instruments

KNOWN_SOURCES = {
    "api",
    "engagement",
    "identified",
    "import",
    "hubspot",
    "marketo",
    "mautic",
    "salesforce",
    "generic",
}


async def record_lead(
    uow: IngestUnitOfWork,
    fields: dict[str, Any],
    known_lead_id: str | None = None,
    *,
    identified_account_id: str | None = None,
) -> tuple[str, str]:
    """Insert the lead, or apply what changed to the lead with the same email.

    `known_lead_id` is the lead a source's own id points at: its email follows the source's
    (a person who changed address stays one person) unless another lead already has it.
    """
    if known_lead_id is not None:
        current = await uow.leads.get(known_lead_id, lock=True)
        if current is not None and (
            current.email == fields["email"] or await uow.leads.by_email(fields["email"]) is None
        ):
            return await _apply_changes(uow, current, fields, identity=current.email != fields["email"])
    lead_id = str(uuid.uuid4())
    if await uow.leads.insert(lead_id, fields):
        created = LeadCreated(lead_id=lead_id, identified_account_id=identified_account_id, **fields)
        uow.emit(created, aggregate_version=1)
        source = (
            fields["source"] if fields["source"] in KNOWN_SOURCES else "other"
        )  # a label from a closed set
        instruments.domain_counter("leads.created", "Leads created.").add(1, {"source": source})
        return lead_id, "created"
    current = await uow.leads.by_email(fields["email"], lock=True)
    if current is None:  # not inserted, and no lead has the email: the person was erased
        raise Erased.of_email()
    return await _apply_changes(uow, current, fields, identity=False)


async def _apply_changes(
    uow: IngestUnitOfWork, current: StoredLead, fields: dict[str, Any], *, identity: bool
) -> tuple[str, str]:
    names = (*PERSON_FIELDS, *IDENTITY_FIELDS) if identity else PERSON_FIELDS
    known = current.model_dump()
    changes = consented(known, changed_fields(known, {name: fields.get(name) for name in names}))
    if not changes:
        return current.lead_id, "unchanged"
    version = current.version + 1
    await uow.leads.update(current.lead_id, changes, version=version, at=datetime.now(UTC))
    email = changes.get("email", current.email)
    uow.emit(LeadUpdated(lead_id=current.lead_id, email=email, changed=changes), aggregate_version=version)
    return current.lead_id, "updated"


async def record_engagement(
    uow: IngestUnitOfWork, engagement: EngagementIn, *, source: str = "api"
) -> tuple[str, str, str]:
    """Store the engagement (creating the lead for an unseen email) with its campaign as the
    source sent it; returns ids and status."""
    if engagement.lead_id:
        lead = await uow.leads.get(engagement.lead_id)
        if lead is None:
            raise Invalid("lead_id: no such lead", errors=[{"field": "lead_id", "reason": "no such lead"}])
        if lead.status == "erased":
            raise Conflict("lead_id: this person was erased", field="lead_id", reason="erased")
        lead_id, email = lead.lead_id, lead.email
    else:
        fields = normalised_lead(
            LeadIn(email=engagement.email or "", campaign=engagement.campaign, source="engagement")
        )
        lead_id, _ = await record_lead(uow, fields)
        email = fields["email"]
    if engagement.kind == "unsubscribe":
        person = await uow.leads.get(lead_id, lock=True)
        if person is not None:
            await _apply_changes(uow, person, {"unsubscribed": True}, identity=False)
    engagement_id = engagement.engagement_id or str(uuid.uuid4())
    occurred_at = engagement.occurred_at or datetime.now(UTC)
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)
    recorded = {
        "engagement_id": engagement_id,
        "lead_id": lead_id,
        "kind": engagement.kind,
        "occurred_at": occurred_at,
        "campaign": engagement.campaign,
        "campaign_external_id": engagement.campaign_external_id,
        "source": source,
        "url": engagement.url,
        "properties": engagement.properties,
    }
    if not await uow.engagements.add(recorded):
        return engagement_id, lead_id, "duplicate"
    uow.emit(EngagementRecorded(**recorded, email=email))
    return engagement_id, lead_id, "recorded"


async def lead(uow: IngestUnitOfWork, lead_id: str) -> StoredLead:
    found = await uow.leads.get(lead_id)
    if found is None:
        raise NotFound(f"No lead {lead_id}.")
    return found


async def lead_by_email(uow: IngestUnitOfWork, email: str) -> StoredLead:
    """The lead with this email (case-insensitive), if any."""
    try:
        address = normalise.normalise_email(email)
    except normalise.InvalidEmail as exc:
        raise Invalid(f"email: {exc}", errors=[{"field": "email", "reason": str(exc)}]) from exc
    found = await uow.leads.by_email(address)
    if found is None:
        raise NotFound(f"No lead with email {address}.")
    return found
