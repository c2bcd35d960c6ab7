"""Ingest's routes: thin adapters over the handlers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Query, status
from sqlalchemy import select
from sqlmodel import col

from services.ingest import handlers, hubspot_api, sources, webhooks
from services.ingest.domain import normalise
from services.ingest.domain.webhooks.items import RawItem
from services.ingest.models import (
    EngagementAccepted,
    EngagementIn,
    ItemOutcome,
    LeadAccepted,
    LeadIn,
    LeadOut,
    QuarantinedOut,
    Resubmission,
)
from services.ingest.settings import IngestSettings
from services.ingest.tables import Lead, QuarantinedItem
from services.ingest.webhooks import ItemRejected
from shared.app import RuntimeDep, UowDep
from shared.problems import Problem

router = APIRouter(tags=["ingest"])


@router.post("/leads", status_code=status.HTTP_202_ACCEPTED)
async def post_lead(lead: LeadIn, uow: UowDep) -> LeadAccepted:
    """Store a lead; the same email again updates that lead (`lead.updated`)."""
    lead_id, outcome = await handlers.record_lead(uow, handlers.normalised_lead(lead))
    await uow.commit()
    return LeadAccepted(lead_id=lead_id, status=outcome)


@router.get("/leads/{lead_id}")
async def get_lead(lead_id: str, uow: UowDep) -> LeadOut:
    lead = await uow.session.get(Lead, lead_id)
    if lead is None:
        raise Problem(404, "Not Found", f"No lead {lead_id}.")
    return LeadOut.model_validate(lead, from_attributes=True)


@router.get("/leads")
async def find_lead(uow: UowDep, email: str = Query(..., max_length=320)) -> LeadOut:
    """The lead with this email (case-insensitive), if any."""
    try:
        address = normalise.normalise_email(email)
    except normalise.InvalidEmail as exc:
        raise Problem(
            422, "Invalid request", f"email: {exc}", errors=[{"field": "email", "reason": str(exc)}]
        ) from exc
    lead = (await uow.session.scalars(select(Lead).where(col(Lead.email) == address))).first()
    if lead is None:
        raise Problem(404, "Not Found", f"No lead with email {address}.")
    return LeadOut.model_validate(lead, from_attributes=True)


@router.post("/engagements", status_code=status.HTTP_202_ACCEPTED)
async def post_engagement(engagement: EngagementIn, uow: UowDep) -> EngagementAccepted:
    engagement_id, lead_id, outcome = await handlers.record_engagement(uow, engagement)
    await uow.commit()
    return EngagementAccepted(engagement_id=engagement_id, lead_id=lead_id, status=outcome)


@router.get("/quarantine")
async def list_quarantine(
    uow: UowDep,
    source: str | None = None,
    status: Literal["open", "resubmitted", "discarded"] = "open",
    limit: int = Query(100, ge=1, le=1000),
) -> list[QuarantinedOut]:
    """Webhook items refused with their reason, oldest first."""
    query = select(QuarantinedItem).where(col(QuarantinedItem.status) == status)
    if source:
        query = query.where(col(QuarantinedItem.source) == source)
    rows = await uow.session.scalars(query.order_by(col(QuarantinedItem.created_at)).limit(limit))
    return [QuarantinedOut.model_validate(row, from_attributes=True) for row in rows]


@router.post("/quarantine/{quarantine_id}/resubmit")
async def resubmit_quarantined(
    quarantine_id: str, fix: Resubmission, uow: UowDep, runtime: RuntimeDep
) -> list[ItemOutcome]:
    """Take a quarantined item again, as stored or as corrected; still invalid -> 422 and it stays."""
    row = await uow.session.get(QuarantinedItem, quarantine_id, with_for_update=True)
    if row is None:
        raise Problem(404, "Not Found", f"No quarantined item {quarantine_id}.")
    if row.status != "open":
        raise Problem(409, "Conflict", f"Quarantined item {quarantine_id} is already {row.status}.")
    settings = runtime.settings
    assert isinstance(settings, IngestSettings)
    payload = fix.payload if fix.payload is not None else row.payload
    try:
        batch = sources.units(sources.SOURCES[row.source], [RawItem(key=None, payload=payload)], settings)
        if row.source == "hubspot":
            batch = await hubspot_api.resolve_hubspot_ids(uow, batch, settings)
        outcomes = []
        for unit in batch:
            lead_id, status = await webhooks.apply(uow, row.source, unit)
            outcomes.append(ItemOutcome(index=unit.index, outcome="accepted", lead_id=lead_id, status=status))
    except ItemRejected as rejection:
        raise Problem(
            422,
            "Invalid request",
            f"still refused: {rejection.reason}",
            errors=[{"field": rejection.field or "payload", "reason": rejection.reason}],
        ) from rejection
    except hubspot_api.SourceUnavailable as exc:
        raise Problem(503, "Service Unavailable", str(exc), {"Retry-After": "60"}) from exc
    row.resubmitted_payload = fix.payload
    row.status, row.resolved_at = "resubmitted", datetime.now(UTC)
    row.lead_id = next((o.lead_id for o in outcomes if o.lead_id), None)
    await uow.commit()
    return outcomes


@router.delete("/quarantine/{quarantine_id}", status_code=status.HTTP_204_NO_CONTENT)
async def discard_quarantined(quarantine_id: str, uow: UowDep) -> None:
    """Give up on a quarantined item (kept, marked discarded)."""
    row = await uow.session.get(QuarantinedItem, quarantine_id, with_for_update=True)
    if row is None:
        raise Problem(404, "Not Found", f"No quarantined item {quarantine_id}.")
    row.status, row.resolved_at = "discarded", datetime.now(UTC)
    await uow.commit()
