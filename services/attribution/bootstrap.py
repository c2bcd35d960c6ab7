"""Attribution's composition root: what the platform runs of it, and with which adapters."""

from __future__ import annotations

from pathlib import Path

from services.attribution.adapters.uow import SqlAttributionUnitOfWork
from services.attribution.app.handlers import HANDLERS
from services.attribution.entrypoints.api import router
from services.attribution.settings import AttributionSettings
from shared.events import CampaignCreated, CampaignUpdated
from shared.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"

DEFINITION = ServiceDefinition(
    name="attribution",
    description="Campaigns, touches through buying groups, sourced vs influenced, seven attribution models.",
    router=router,
    produces=(CampaignCreated, CampaignUpdated),
    handlers=HANDLERS,
    settings=AttributionSettings,
    uow=SqlAttributionUnitOfWork,
)
