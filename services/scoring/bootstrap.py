"""Scoring's composition root."""

from __future__ import annotations

from pathlib import Path

from services.scoring.api import router
from services.scoring.handlers import handlers
from services.scoring.settings import ScoringSettings
from shared.events import LeadScored
from shared.kafka.consumer import Handler
from shared.runtime import Runtime, ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"


def _handlers(runtime: Runtime) -> dict[str, Handler]:
    settings = runtime.settings
    assert isinstance(settings, ScoringSettings)
    return handlers(settings)


DEFINITION = ServiceDefinition(
    name="scoring",
    description="Fit + behaviour lead scores with decay, lifecycle stages, buying-group engagement.",
    router=router,
    produces=(LeadScored.TYPE,),
    handlers=_handlers,
    settings=ScoringSettings,
)
