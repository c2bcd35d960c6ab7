"""The matcher's route dependencies, typed: its settings and unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends

from services.matcher.app.uow import MatcherUnitOfWork
from services.matcher.settings import MatcherSettings
from shared.app import get_settings, get_uow, get_uow_factory

SettingsDep = Annotated[MatcherSettings, Depends(get_settings)]
UowDep = Annotated[MatcherUnitOfWork, Depends(get_uow)]
UowsDep = Annotated[Callable[[], MatcherUnitOfWork], Depends(get_uow_factory)]
