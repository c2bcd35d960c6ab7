"""Ingest's route dependencies, typed: its settings, unit of work and clients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends

from services.ingest.app.people import PeopleReader
from services.ingest.app.uow import IngestUnitOfWork
from services.ingest.settings import IngestSettings
from shared.app import get_clients, get_group, get_settings, get_uow, get_uow_factory
from shared.group_commit import GroupCommit

SettingsDep = Annotated[IngestSettings, Depends(get_settings)]
UowDep = Annotated[IngestUnitOfWork, Depends(get_uow)]
UowsDep = Annotated[Callable[[], IngestUnitOfWork], Depends(get_uow_factory)]
GroupDep = Annotated[GroupCommit, Depends(get_group)]


async def _people(clients: Annotated[dict[str, Any], Depends(get_clients)]) -> PeopleReader:
    reader: PeopleReader = clients["people"]
    return reader


PeopleDep = Annotated[PeopleReader, Depends(_people)]
