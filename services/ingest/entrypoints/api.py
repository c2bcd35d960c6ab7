"""Ingest's /v1 routes: leads, engagements, erasure and the quarantine."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, status

from services.ingest.app import erasure, leads, webhooks
from services.ingest.app.models import ItemOutcome, Quarantined
from services.ingest.domain.inputs import EngagementIn, LeadIn
from services.ingest.domain.leads import StoredLead, normalised_lead
from services.ingest.entrypoints.deps import GroupDep, PeopleDep, SettingsDep, UowDep
from services.ingest.entrypoints.imports import router as import_router
from services.ingest.entrypoints.models import (
    EngagementAccepted,
    ErasureAccepted,
    ErasureIn,
    LeadAccepted,
    Resubmission,
)
from shared.app import CallerDep, right

router = APIRouter(tags=["ingest"])
router.include_router(import_router)


@router.post("/leads", status_code=status.HTTP_202_ACCEPTED)
async def post_lead(lead: LeadIn, group: GroupDep) -> LeadAccepted:
    """Store a lead; the same email again updates that lead (`lead.updated`)."""
    fields = normalised_lead(lead)
    lead_id, outcome = await group(lambda uow: leads.record_lead(uow, fields))
    return LeadAccepted(lead_id=lead_id, status=outcome)


@router.get("/leads/{lead_id}")
async def get_lead(lead_id: str, uow: UowDep) -> StoredLead:
    return await leads.lead(uow, lead_id)


@router.get("/leads")
async def find_lead(uow: UowDep, email: str = Query(..., max_length=320)) -> StoredLead:
    """The lead with this email (case-insensitive), if any."""
    return await leads.lead_by_email(uow, email)


@router.post("/engagements", status_code=status.HTTP_202_ACCEPTED)
async def post_engagement(engagement: EngagementIn, group: GroupDep) -> EngagementAccepted:
    engagement_id, lead_id, outcome = await group(lambda uow: leads.record_engagement(uow, engagement))
    return EngagementAccepted(engagement_id=engagement_id, lead_id=lead_id, status=outcome)


@router.post("/people/erase", status_code=status.HTTP_202_ACCEPTED, openapi_extra=right("admin"))
async def erase_person(request: ErasureIn, uow: UowDep, caller: CallerDep) -> ErasureAccepted:
    """Erase a person (GDPR art. 17): gone from ingest now, from every other service as it
    handles `person.erased`. A source sending them again records them only with fresh consent."""
    done = await erasure.erase(uow, requested_by=caller, email=request.email)
    await uow.commit()
    return ErasureAccepted(erasure_id=done.erasure_id, lead_ids=done.lead_ids)


@router.get("/quarantine")
async def list_quarantine(
    uow: UowDep,
    source: str | None = None,
    status: Literal["open", "resubmitted", "discarded"] = "open",
    limit: int = Query(100, ge=1, le=1000),
) -> list[Quarantined]:
    """Webhook items refused with their reason, oldest first."""
    return await uow.quarantine.list(status=status, source=source, limit=limit)


@router.post("/quarantine/{quarantine_id}/resubmit", openapi_extra=right("webhook-admin"))
async def resubmit_quarantined(
    quarantine_id: str,
    fix: Resubmission,
    uow: UowDep,
    settings: SettingsDep,
    people: PeopleDep,
    caller: CallerDep,
) -> list[ItemOutcome]:
    """Take a quarantined item again, as stored or as corrected; still invalid -> 422 and it stays.
    The caller is recorded as `resolved_by`."""
    outcomes = await webhooks.resubmit(uow, quarantine_id, fix.payload, settings, people, caller)
    await uow.commit()
    return outcomes


@router.delete(
    "/quarantine/{quarantine_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra=right("webhook-admin"),
)
async def discard_quarantined(quarantine_id: str, uow: UowDep, caller: CallerDep) -> None:
    """Give up on a quarantined item (kept, marked discarded, the caller as `resolved_by`)."""
    await webhooks.discard(uow, quarantine_id, caller)
    await uow.commit()
