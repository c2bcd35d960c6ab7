"""The services by name, with their embedded-stack ports."""

from __future__ import annotations

import importlib
from pathlib import Path

from shared.runtime import ServiceDefinition
from shared.settings import Settings

PORTS = {
    "console": 8000,
    "ingest": 8001,
    "matcher": 8002,
    "opportunity": 8003,
    "scoring": 8004,
    "attribution": 8005,
    "outbound": 8006,
}


def definition(name: str) -> ServiceDefinition:
    if name not in PORTS:
        raise SystemExit(f"unknown service {name!r}; services are {', '.join(PORTS)}")
    module = importlib.import_module(f"services.{name}.bootstrap")
    found: ServiceDefinition = module.DEFINITION
    return found


def migrations(name: str) -> Path:
    return Path(importlib.import_module(f"services.{name}.bootstrap").MIGRATIONS)


async def migrate_all(settings: Settings, names: list[str]) -> None:
    from shared.db import ensure_database
    from shared.migrate import migrate

    for name in names:
        await ensure_database(settings.database_url_for(name))
        await migrate(settings, name, migrations(name))
        print(f"migrated {name}")
