"""The matcher's composition root: what the platform runs of it, and with which adapters."""

from __future__ import annotations

from pathlib import Path

from services.matcher.adapters.uow import SqlMatcherUnitOfWork
from services.matcher.app.handlers import HANDLERS
from services.matcher.entrypoints.api import router
from services.matcher.settings import MatcherSettings
from shared.events import AccountCreated, AccountUpdated, LeadConverted, LeadRejected, LeadReviewRequested
from shared.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"

DEFINITION = ServiceDefinition(
    name="matcher",
    description="Lead-to-account matching and conversion, owner routing, the review queue.",
    router=router,
    produces=(AccountCreated, AccountUpdated, LeadConverted, LeadReviewRequested, LeadRejected),
    handlers=HANDLERS,
    settings=MatcherSettings,
    uow=SqlMatcherUnitOfWork,
    large_bodies=("/accounts/import",),
)
