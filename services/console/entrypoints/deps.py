"""The console's route dependencies, typed: settings, unit of work, the services, the hasher, the issuer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from services.console.app.ports import Hasher, Issuer, Services
from services.console.app.uow import ConsoleUnitOfWork
from services.console.settings import ConsoleSettings
from shared.app import get_clients, get_settings, get_uow

SettingsDep = Annotated[ConsoleSettings, Depends(get_settings)]
UowDep = Annotated[ConsoleUnitOfWork, Depends(get_uow)]
ClientsDep = Annotated[dict[str, Any], Depends(get_clients)]


async def get_services(clients: ClientsDep) -> Services:
    services: Services = clients["services"]
    return services


async def get_hasher(clients: ClientsDep) -> Hasher:
    hasher: Hasher = clients["hasher"]
    return hasher


async def get_issuer(clients: ClientsDep) -> Issuer:
    issuer: Issuer = clients["issuer"]
    return issuer


ServicesDep = Annotated[Services, Depends(get_services)]
HasherDep = Annotated[Hasher, Depends(get_hasher)]
IssuerDep = Annotated[Issuer, Depends(get_issuer)]
