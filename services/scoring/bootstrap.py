"""Scoring's composition root: what the platform runs of it, and with which adapters."""

from __future__ import annotations

from pathlib import Path

from services.scoring.adapters.uow import SqlScoringUnitOfWork
from services.scoring.app.decay import DECAY
from services.scoring.app.handlers import HANDLERS
from services.scoring.app.segments import SEGMENTS
from services.scoring.entrypoints.api import router
from services.scoring.settings import ScoringSettings
from shared.events import LeadScored, SegmentMembershipChanged
from shared.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"

DEFINITION = ServiceDefinition(
    name="scoring",
    description="Fit + behaviour lead scores with decay, lifecycle stages, buying-group engagement.",
    router=router,
    produces=(LeadScored, SegmentMembershipChanged),
    handlers=HANDLERS,
    jobs=(DECAY, SEGMENTS),
    settings=ScoringSettings,
    uow=SqlScoringUnitOfWork,
)
