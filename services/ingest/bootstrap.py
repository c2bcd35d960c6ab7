"""Ingest's composition root: what the platform runs of it, and with which adapters."""

from __future__ import annotations

from pathlib import Path

from services.ingest.adapters.hubspot import HubSpotPeople
from services.ingest.adapters.uow import SqlIngestUnitOfWork
from services.ingest.app.handlers import HANDLERS
from services.ingest.app.retention import RETENTION
from services.ingest.entrypoints.api import router
from services.ingest.entrypoints.webhooks import router as webhook_router
from services.ingest.settings import IngestSettings
from shared.events import EngagementRecorded, LeadCreated, LeadUpdated, PersonErased
from shared.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"

DEFINITION = ServiceDefinition(
    name="ingest",
    description="Leads and engagement from MAP webhooks and the API, validated and deduplicated.",
    router=router,
    public_router=webhook_router,
    produces=(LeadCreated, LeadUpdated, EngagementRecorded, PersonErased),
    handlers=HANDLERS,
    jobs=(RETENTION,),
    settings=IngestSettings,
    uow=SqlIngestUnitOfWork,
    clients=lambda settings: {"people": HubSpotPeople(settings)},
    # Each source reads within WEBHOOK_MAX_BODY_BYTES itself; an import takes the large limit.
    large_bodies=("/webhooks/", "/leads/import"),
    bulk_lanes=(LeadCreated,),  # an import's new leads
)
