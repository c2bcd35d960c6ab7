"""The opportunity service's composition root: what the platform runs of it, with which adapters."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from services.opportunity.adapters.uow import SqlOpportunityUnitOfWork
from services.opportunity.app.handlers import HANDLERS
from services.opportunity.app.sla import SLA_SCAN
from services.opportunity.entrypoints import api, people, reports, roles
from services.opportunity.settings import OpportunitySettings
from shared.events import (
    OppContactRoleChanged,
    OppCreated,
    OppSlaBreached,
    OppStageChanged,
    OppUpdated,
    PersonIdentified,
)
from shared.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"


def _router() -> APIRouter:
    router = APIRouter()
    for part in (api.router, roles.router, people.router, reports.router):
        router.include_router(part)
    return router


DEFINITION = ServiceDefinition(
    name="opportunity",
    description="Typed opportunities, gated pipelines, buying groups, stamps, SLAs, reports.",
    router=_router(),
    produces=(
        OppCreated,
        OppStageChanged,
        OppUpdated,
        OppContactRoleChanged,
        OppSlaBreached,
        PersonIdentified,
    ),
    handlers=HANDLERS,
    jobs=(SLA_SCAN,),
    settings=OpportunitySettings,
    uow=SqlOpportunityUnitOfWork,
)
