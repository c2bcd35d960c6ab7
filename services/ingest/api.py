"""Ingest's routes: thin adapters over the handlers."""

from __future__ import annotations

from fastapi import APIRouter, Query, status
from sqlalchemy import select
from sqlmodel import col

from services.ingest import handlers
from services.ingest.domain import normalise
from services.ingest.models import EngagementAccepted, EngagementIn, LeadAccepted, LeadIn, LeadOut
from services.ingest.tables import Lead
from shared.app import UowDep
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
