"""HubSpot (CRM API v3): contacts found by email (batch read), their properties written (batch
update) and list memberships changed (PUT /crm/v3/lists/{listId}/memberships/add and /remove)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from services.outbound.adapters.map_http import MapHttp, window_for
from services.outbound.adapters.webhooks import tls_context
from services.outbound.app.map_sync import MapFailure, Push
from services.outbound.domain.map_sync import HUBSPOT_BATCH, HUBSPOT_MEMBERSHIP_BATCH, chunks, mapped
from services.outbound.settings import OutboundSettings


class HubSpotLists(MapHttp):
    def __init__(self, settings: OutboundSettings) -> None:
        token = settings.hubspot_access_token or ""
        account = "hubspot:" + hashlib.sha256(token.encode()).hexdigest()[:16]
        super().__init__("hubspot", window_for(account, settings.outbound_hubspot_requests_per_10s, 10.0))
        self._base, self._token = settings.hubspot_api_base.rstrip("/"), token
        self._properties = settings.outbound_hubspot_properties

    def _client(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}
        return httpx.AsyncClient(base_url=self._base, headers=headers, timeout=30.0, verify=tls_context())

    async def write_people(self, people: list[Push]) -> dict[str, str]:
        async with self._client() as client:
            ids = await self._find(client, [p for p in people if p.record_id is None])
            ids.update({p.person_id: p.record_id for p in people if p.record_id is not None})
            found = [p for p in people if p.person_id in ids]
            for chunk in chunks(found, HUBSPOT_BATCH):
                inputs = [
                    {"id": ids[p.person_id], "properties": mapped(p.facts, self._properties)} for p in chunk
                ]
                path = "/crm/v3/objects/contacts/batch/update"
                body = self._ok(
                    await self.call(client, "POST", path, items=len(chunk), json={"inputs": inputs}), path
                )
                updated = {str(r.get("id")) for r in body.get("results", [])}
                for p in chunk:  # a cached id HubSpot no longer knows: found again next time
                    if ids[p.person_id] not in updated:
                        ids.pop(p.person_id)
        return ids

    async def _find(self, client: httpx.AsyncClient, people: list[Push]) -> dict[str, str]:
        ids: dict[str, str] = {}
        for chunk in chunks(people, HUBSPOT_BATCH):
            path = "/crm/v3/objects/contacts/batch/read"
            body = {
                "idProperty": "email",
                "properties": ["email"],
                "inputs": [{"id": p.email} for p in chunk],
            }
            found = self._ok(await self.call(client, "POST", path, items=len(chunk), json=body), path)
            by_email = {p.email.lower(): p.person_id for p in chunk}
            for result in found.get("results", []):
                email = str((result.get("properties") or {}).get("email") or "").lower()
                if email in by_email:
                    ids[by_email[email]] = str(result["id"])
        return ids

    async def change_list(self, list_id: str, op: str, record_ids: list[str]) -> None:
        path = f"/crm/v3/lists/{list_id}/memberships/{op}"
        async with self._client() as client:
            for chunk in chunks(record_ids, HUBSPOT_MEMBERSHIP_BATCH):
                self._ok(await self.call(client, "PUT", path, items=len(chunk), json=list(chunk)), path)

    def _ok(self, response: httpx.Response, path: str) -> dict[str, Any]:
        """200, or 207 (a batch with some records missing): the body; anything else fails."""
        if response.status_code in (200, 201, 207):
            body: dict[str, Any] = response.json()
            return body
        raise MapFailure(
            f"HubSpot answered {response.status_code} to {path}: {response.text[:200]}", retryable=False
        )
