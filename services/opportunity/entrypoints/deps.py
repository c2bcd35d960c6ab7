"""The opportunity service's route dependencies, typed: its settings and unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends

from services.opportunity.app.uow import OpportunityUnitOfWork
from services.opportunity.settings import OpportunitySettings
from shared.app import get_settings, get_uow, get_uow_factory

SettingsDep = Annotated[OpportunitySettings, Depends(get_settings)]
UowDep = Annotated[OpportunityUnitOfWork, Depends(get_uow)]
UowsDep = Annotated[Callable[[], OpportunityUnitOfWork], Depends(get_uow_factory)]
