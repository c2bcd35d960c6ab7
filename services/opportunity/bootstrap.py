"""The opportunity service's composition root: what the platform runs of it, with which adapters."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from services.opportunity.adapters.uow import SqlOpportunityUnitOfWork
from services.opportunity.app.escalation import HANDOFF_SCAN
from services.opportunity.app.handlers import HANDLERS
from services.opportunity.app.sla import SLA_SCAN
from services.opportunity.entrypoints import api, people, reference, reports, roles, routes
from services.opportunity.settings import OpportunitySettings
from shared.events import (
    LeadRouted,
    LeadRouteEscalated,
    OppContactRoleChanged,
    OppCreated,
    OppHandoffEscalated,
    OppHandoffReassigned,
    OppSlaBreached,
    OppSlaEscalated,
    OppStageChanged,
    OppUpdated,
    PersonIdentified,
)
from shared.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"


def _router() -> APIRouter:
    router = APIRouter()
    for part in (api.router, roles.router, people.router, reports.router, reference.router, routes.router):
        router.include_router(part)
    return router


DEFINITION = ServiceDefinition(
    name="opportunity",
    description="Typed opportunities, gated pipelines, buying groups, stamps, SLAs, handshakes, reports.",
    router=_router(),
    produces=(
        OppCreated,
        OppStageChanged,
        OppUpdated,
        OppContactRoleChanged,
        OppSlaBreached,
        OppSlaEscalated,
        PersonIdentified,
        OppHandoffEscalated,
        OppHandoffReassigned,
        LeadRouted,
        LeadRouteEscalated,
    ),
    handlers=HANDLERS,
    jobs=(SLA_SCAN, HANDOFF_SCAN),
    settings=OpportunitySettings,
    uow=SqlOpportunityUnitOfWork,
)
