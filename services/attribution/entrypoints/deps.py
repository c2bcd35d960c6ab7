"""Attribution's route dependencies, typed: its settings and unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends

from services.attribution.app.uow import AttributionUnitOfWork
from services.attribution.settings import AttributionSettings
from shared.app import get_settings, get_uow, get_uow_factory

SettingsDep = Annotated[AttributionSettings, Depends(get_settings)]
UowDep = Annotated[AttributionUnitOfWork, Depends(get_uow)]
UowsDep = Annotated[Callable[[], AttributionUnitOfWork], Depends(get_uow_factory)]
