"""The matcher's composition root: what the platform runs of it, and with which adapters."""

from __future__ import annotations

from pathlib import Path

from services.matcher.adapters.uow import SqlMatcherUnitOfWork
from services.matcher.app.handlers import HANDLERS
from services.matcher.app.owners import OWNER_SCAN
from services.matcher.entrypoints.api import router
from services.matcher.settings import MatcherSettings
from shared.events import (
    AccountCreated,
    AccountUpdated,
    LeadConverted,
    LeadCreated,
    LeadRejected,
    LeadReviewRequested,
    PoolUpdated,
    RepUpdated,
)
from shared.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"

DEFINITION = ServiceDefinition(
    name="matcher",
    description="Lead-to-account matching and conversion, owner routing, reps and pools, the review queue.",
    router=router,
    produces=(
        AccountCreated,
        AccountUpdated,
        LeadConverted,
        LeadReviewRequested,
        LeadRejected,
        RepUpdated,
        PoolUpdated,
    ),
    handlers=HANDLERS,
    jobs=(OWNER_SCAN,),
    settings=MatcherSettings,
    uow=SqlMatcherUnitOfWork,
    large_bodies=("/accounts/import",),
    bulk_lanes=(LeadCreated,),  # an ingest import's leads, matched when live leads leave room
)
