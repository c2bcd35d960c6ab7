"""Opportunity's composition root."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from services.opportunity import handlers
from services.opportunity.api import router
from services.opportunity.settings import OpportunitySettings
from shared.events import (
    AccountCreated,
    AccountUpdated,
    LeadConverted,
    OppContactRoleChanged,
    OppCreated,
    OppSlaBreached,
    OppStageChanged,
)
from shared.kafka.consumer import Handler
from shared.runtime import Runtime, ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"


def _handlers(runtime: Runtime) -> dict[str, Handler]:
    settings = runtime.settings
    assert isinstance(settings, OpportunitySettings)
    return {
        AccountCreated.TYPE: handlers.on_account_changed,
        AccountUpdated.TYPE: handlers.on_account_changed,
        LeadConverted.TYPE: partial(handlers.on_lead_converted, settings=settings),
    }


DEFINITION = ServiceDefinition(
    name="opportunity",
    description="Typed opportunities, gated pipelines, buying groups, stamps, SLAs, reports.",
    router=router,
    produces=(
        OppCreated.TYPE,
        OppStageChanged.TYPE,
        OppContactRoleChanged.TYPE,
        OppSlaBreached.TYPE,
    ),
    handlers=_handlers,
    settings=OpportunitySettings,
)
