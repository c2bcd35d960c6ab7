"""Scoring's route dependencies, typed: its settings and unit of work."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.scoring.app.uow import ScoringUnitOfWork
from services.scoring.settings import ScoringSettings
from shared.app import get_settings, get_uow

SettingsDep = Annotated[ScoringSettings, Depends(get_settings)]
UowDep = Annotated[ScoringUnitOfWork, Depends(get_uow)]
