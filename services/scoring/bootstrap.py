"""Scoring's composition root."""

from __future__ import annotations

from pathlib import Path

from services.scoring import handlers
from services.scoring.api import router
from shared.events import EngagementRecorded, LeadConverted, LeadCreated, LeadScored, LeadUpdated
from shared.kafka.consumer import Handler
from shared.runtime import Runtime, ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"


def _handlers(_: Runtime) -> dict[str, Handler]:
    return {
        LeadCreated.TYPE: handlers.on_lead_created,
        LeadUpdated.TYPE: handlers.on_lead_updated,
        EngagementRecorded.TYPE: handlers.on_engagement_recorded,
        LeadConverted.TYPE: handlers.on_lead_converted,
    }


DEFINITION = ServiceDefinition(
    name="scoring",
    description="Fit + behaviour lead scores, lifecycle stages, buying-group engagement.",
    router=router,
    produces=(LeadScored.TYPE,),
    handlers=_handlers,
)
