"""People a source names by id only (HubSpot's subscriptions), read from its API before a
delivery is stored."""

from __future__ import annotations

from typing import Protocol

from services.ingest.app.sources import Unit
from services.ingest.app.uow import IngestUnitOfWork
from services.ingest.domain.webhooks.items import ContactFetch, Item, PropertyChange


class PeopleReader(Protocol):
    async def read(self, source_ids: list[str]) -> dict[str, Item]:
        """Each id's person as an item (a `Rejected` one when the source has none); raises
        `Unavailable` when the source's API cannot be read now."""
        ...


async def resolve_ids(
    uow: IngestUnitOfWork, source: str, batch: list[Unit], reader: PeopleReader
) -> list[Unit]:
    """Read every person the batch names by id and Cascade does not know."""
    changes = {u.item.source_id for u in batch if isinstance(u.item, PropertyChange)}
    known = await uow.source_ids.known(source, changes) if changes else set()
    created = {u.item.source_id for u in batch if isinstance(u.item, ContactFetch)}
    # A change to a person created earlier in the same batch applies once the creation is stored.
    unknown = changes - known - created
    wanted = created | unknown
    if not wanted:
        return batch
    people = await reader.read(sorted(wanted))
    return [
        Unit(u.index, u.key, u.payload, people[u.item.source_id])
        if isinstance(u.item, ContactFetch)
        or (isinstance(u.item, PropertyChange) and u.item.source_id in unknown)
        else u
        for u in batch
    ]
