"""Ingest's composition root."""

from __future__ import annotations

from pathlib import Path

from services.ingest import handlers
from services.ingest.api import router
from services.ingest.settings import IngestSettings
from services.ingest.webhook_api import router as webhook_router
from shared.events import EngagementRecorded, LeadConverted, LeadCreated, LeadRejected, LeadUpdated
from shared.kafka.consumer import Handler
from shared.runtime import Runtime, ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"


def _handlers(_: Runtime) -> dict[str, Handler]:
    return {
        LeadConverted.TYPE: handlers.on_lead_converted,
        LeadRejected.TYPE: handlers.on_lead_rejected,
    }


DEFINITION = ServiceDefinition(
    name="ingest",
    description="Leads and engagement from MAP webhooks and the API, validated and deduplicated.",
    router=router,
    produces=(LeadCreated.TYPE, LeadUpdated.TYPE, EngagementRecorded.TYPE),
    handlers=_handlers,
    settings=IngestSettings,
    public_router=webhook_router,
)
