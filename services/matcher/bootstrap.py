"""Matcher's composition root."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from services.matcher import handlers, opps
from services.matcher.api import router
from services.matcher.settings import MatcherSettings
from shared.events import (
    AccountCreated,
    AccountUpdated,
    LeadConverted,
    LeadCreated,
    LeadRejected,
    LeadReviewRequested,
    LeadUpdated,
    OppCreated,
    OppStageChanged,
)
from shared.kafka.consumer import Handler
from shared.runtime import Runtime, ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"


def _handlers(runtime: Runtime) -> dict[str, Handler]:
    settings = runtime.settings
    assert isinstance(settings, MatcherSettings)
    return {
        LeadCreated.TYPE: partial(handlers.on_lead_created, settings=settings),
        LeadUpdated.TYPE: handlers.on_lead_updated,
        OppCreated.TYPE: opps.on_opp_created,
        OppStageChanged.TYPE: opps.on_opp_stage_changed,
    }


DEFINITION = ServiceDefinition(
    name="matcher",
    description="Lead-to-account matching and conversion, owner routing, the review queue.",
    router=router,
    produces=(
        AccountCreated.TYPE,
        AccountUpdated.TYPE,
        LeadConverted.TYPE,
        LeadReviewRequested.TYPE,
        LeadRejected.TYPE,
    ),
    handlers=_handlers,
    settings=MatcherSettings,
)
