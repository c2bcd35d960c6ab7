"""HubSpot contacts known only by id, read from HubSpot's CRM API v3 before a delivery is stored."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select
from sqlmodel import col

from services.ingest.domain.webhooks import hubspot
from services.ingest.domain.webhooks.items import ContactFetch, Item, PropertyChange, Rejected
from services.ingest.settings import IngestSettings
from services.ingest.sources import Unit
from services.ingest.tables import LeadSourceId
from shared.uow import UnitOfWork

FETCH_CONCURRENCY = 8


class SourceUnavailable(Exception):
    """A source's API could not be read now; the sender should retry the delivery."""


async def resolve_hubspot_ids(uow: UnitOfWork, batch: list[Unit], settings: IngestSettings) -> list[Unit]:
    """Read from HubSpot's CRM API every contact the batch names by id and Cascade does not know."""
    changes = {u.item.source_id for u in batch if isinstance(u.item, PropertyChange)}
    known = set(
        await uow.session.scalars(
            select(col(LeadSourceId.source_id)).where(
                col(LeadSourceId.source) == "hubspot", col(LeadSourceId.source_id).in_(changes)
            )
        )
        if changes
        else []
    )
    created = {u.item.source_id for u in batch if isinstance(u.item, ContactFetch)}
    # A change to a contact created earlier in the same batch applies once the creation is stored.
    unknown = changes - known - created
    wanted = created | unknown
    if not wanted:
        return batch
    contacts = await _fetch_contacts(sorted(wanted), settings)
    return [
        Unit(u.index, u.key, u.payload, contacts[u.item.source_id])
        if isinstance(u.item, ContactFetch)
        or (isinstance(u.item, PropertyChange) and u.item.source_id in unknown)
        else u
        for u in batch
    ]


async def _fetch_contacts(ids: list[str], settings: IngestSettings) -> dict[str, Item]:
    if not settings.hubspot_access_token:
        reason = "HubSpot sent only an id and no HUBSPOT_ACCESS_TOKEN is set to read the contact"
        return dict.fromkeys(ids, Rejected(reason, "objectId"))
    headers = {"Authorization": f"Bearer {settings.hubspot_access_token}"}
    params = {"properties": ",".join(hubspot.FETCHED_PROPERTIES)}
    async with httpx.AsyncClient(
        base_url=settings.hubspot_api_base, headers=headers, timeout=settings.hubspot_api_timeout_seconds
    ) as client:

        async def one(contact_id: str) -> Item:
            try:
                response = await client.get(f"/crm/v3/objects/contacts/{contact_id}", params=params)
            except httpx.HTTPError as exc:
                raise SourceUnavailable(f"HubSpot API: {exc!r}") from exc
            if response.status_code == 404:
                return Rejected(f"HubSpot has no contact {contact_id}", "objectId")
            if response.status_code != 200:
                raise SourceUnavailable(f"HubSpot API answered {response.status_code}")
            try:
                return hubspot.contact(response.json())
            except ValueError as exc:
                raise SourceUnavailable(f"HubSpot API answered 200 without JSON: {exc}") from exc

        async def limited(contact_id: str) -> Item:
            async with gate:
                return await one(contact_id)

        gate = asyncio.Semaphore(FETCH_CONCURRENCY)  # HubSpot allows about 10 requests a second per app
        found = await asyncio.gather(*(limited(contact_id) for contact_id in ids))
    return dict(zip(ids, found, strict=True))
