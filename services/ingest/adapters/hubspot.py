"""HubSpot contacts known only by id, read from HubSpot's CRM API v3 (the `PeopleReader` port)."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import httpx

from services.ingest.domain.webhooks import hubspot
from services.ingest.domain.webhooks.items import Item, Rejected
from services.ingest.settings import IngestSettings
from shared.errors import Unavailable

FETCH_CONCURRENCY = 8  # HubSpot allows about 10 requests a second per app


class HubSpotPeople:
    def __init__(self, settings: IngestSettings) -> None:
        self._settings = settings

    async def read(self, source_ids: list[str]) -> dict[str, Item]:
        settings = self._settings
        if not settings.hubspot_access_token:
            reason = "HubSpot sent only an id and no HUBSPOT_ACCESS_TOKEN is set to read the contact"
            return dict.fromkeys(source_ids, Rejected(reason, "objectId"))
        headers = {"Authorization": f"Bearer {settings.hubspot_access_token}"}
        gate = asyncio.Semaphore(FETCH_CONCURRENCY)
        async with httpx.AsyncClient(
            base_url=settings.hubspot_api_base, headers=headers, timeout=settings.hubspot_api_timeout_seconds
        ) as client:

            async def limited(contact_id: str) -> Item:
                async with gate:
                    return await _contact(client, contact_id)

            found = await asyncio.gather(*(limited(contact_id) for contact_id in source_ids))
        return dict(zip(source_ids, found, strict=True))


async def _contact(client: httpx.AsyncClient, contact_id: str) -> Item:
    params = {"properties": ",".join(hubspot.FETCHED_PROPERTIES)}
    try:
        response = await client.get(f"/crm/v3/objects/contacts/{quote(contact_id, safe='')}", params=params)
    except httpx.HTTPError as exc:
        raise _unavailable(f"HubSpot API: {exc!r}") from exc
    if response.status_code == 404:
        return Rejected(f"HubSpot has no contact {contact_id}", "objectId")
    if response.status_code != 200:
        raise _unavailable(f"HubSpot API answered {response.status_code}")
    try:
        return hubspot.contact(response.json())
    except ValueError as exc:
        raise _unavailable(f"HubSpot API answered 200 without JSON: {exc}") from exc


def _unavailable(detail: str) -> Unavailable:
    return Unavailable(detail, retry_after=60)
