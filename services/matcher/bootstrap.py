"""Matcher's composition root."""

from __future__ import annotations

from pathlib import Path

from services.matcher import handlers
from services.matcher.api import router
from shared.events import AccountCreated, AccountUpdated, LeadConverted, LeadCreated, LeadUpdated
from shared.kafka.consumer import Handler
from shared.runtime import Runtime, ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"


def _handlers(_: Runtime) -> dict[str, Handler]:
    return {
        LeadCreated.TYPE: handlers.on_lead_created,
        LeadUpdated.TYPE: handlers.on_lead_updated,
    }


DEFINITION = ServiceDefinition(
    name="matcher",
    description="Lead-to-account matching and conversion, owner routing, the review queue.",
    router=router,
    produces=(AccountCreated.TYPE, AccountUpdated.TYPE, LeadConverted.TYPE),
    handlers=_handlers,
)
