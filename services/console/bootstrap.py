"""The console's composition root: its pages, its users' database, and clients of the services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter

from services.console.adapters.issuer import OidcIssuer
from services.console.adapters.passwords import Argon2Hasher
from services.console.adapters.services import HttpServices
from services.console.adapters.uow import SqlConsoleUnitOfWork
from services.console.app import auth
from services.console.entrypoints.pages import router as pages
from services.console.settings import ConsoleSettings
from shared.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"


def clients(settings: ConsoleSettings) -> dict[str, Any]:
    return {"services": HttpServices(settings), "hasher": Argon2Hasher(), "issuer": OidcIssuer(settings)}


DEFINITION = ServiceDefinition(
    name="console",
    description="The RevOps console: pages for people, over the services' APIs, with its own sign-in.",
    router=APIRouter(),
    pages=pages,
    produces=(),
    settings=ConsoleSettings,
    uow=SqlConsoleUnitOfWork,
    clients=clients,
    jobs=(auth.PRUNE,),
)
