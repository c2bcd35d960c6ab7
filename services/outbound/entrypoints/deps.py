"""Outbound's route dependencies, typed: its settings, unit of work and target check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from services.outbound.app.subscriptions import TargetCheck
from services.outbound.app.uow import OutboundUnitOfWork
from services.outbound.settings import OutboundSettings
from shared.app import get_clients, get_settings, get_uow

SettingsDep = Annotated[OutboundSettings, Depends(get_settings)]
UowDep = Annotated[OutboundUnitOfWork, Depends(get_uow)]


async def _targets(clients: Annotated[dict[str, Any], Depends(get_clients)]) -> TargetCheck:
    check: TargetCheck = clients["targets"]
    return check


TargetsDep = Annotated[TargetCheck, Depends(_targets)]
