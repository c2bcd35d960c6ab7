"""Opportunity's composition root."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import APIRouter

from services.opportunity import api, api_reports, api_roles, handlers
from services.opportunity.settings import OpportunitySettings
from services.opportunity.sla_scan import sla_scanner
from shared.events import (
    AccountCreated,
    AccountUpdated,
    LeadConverted,
    LeadScored,
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
        LeadScored.TYPE: partial(handlers.on_lead_scored, settings=settings),
    }


def _router() -> APIRouter:
    router = APIRouter(lifespan=sla_scanner)
    for part in (api.router, api_roles.router, api_reports.router):
        router.include_router(part)
    return router


DEFINITION = ServiceDefinition(
    name="opportunity",
    description="Typed opportunities, gated pipelines, buying groups, stamps, SLAs, reports.",
    router=_router(),
    produces=(
        OppCreated.TYPE,
        OppStageChanged.TYPE,
        OppContactRoleChanged.TYPE,
        OppSlaBreached.TYPE,
    ),
    handlers=_handlers,
    settings=OpportunitySettings,
)
