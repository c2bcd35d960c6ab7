"""Marketo (REST API v1): an access token from /identity/oauth/token (client credentials), sent
as a Bearer header; lead fields written by email (POST /rest/v1/leads.json, updateOnly), which
answers each lead's id; static list membership changed (POST and DELETE
/rest/v1/lists/{listId}/leads.json). Marketo answers HTTP 200 with `success: false` and an error
code for a bad token (601, 602: a new token is fetched) and for its rate limits (606, 615)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from services.outbound.adapters.map_http import MapHttp, window_for
from services.outbound.adapters.webhooks import tls_context
from services.outbound.app.map_sync import MapFailure, Push, RateLimited
from services.outbound.domain.map_sync import MARKETO_BATCH, chunks, mapped
from services.outbound.settings import OutboundSettings

TOKEN_CODES = {"601", "602"}
RATE_CODES = {"606": 20.0, "615": 5.0, "607": 3600.0}  # rate, concurrency, daily quota
TRANSIENT_CODES = {"604", "608", "611", "713"}
_TOKENS: dict[str, tuple[str, float]] = {}  # client id -> (token, expires at, monotonic)


class MarketoLists(MapHttp):
    def __init__(self, settings: OutboundSettings) -> None:
        self._base = (settings.marketo_base_url or "").rstrip("/")
        self._id, self._secret = settings.marketo_client_id or "", settings.marketo_client_secret or ""
        super().__init__(
            "marketo", window_for(f"marketo:{self._base}", settings.outbound_marketo_calls_per_20s, 20.0)
        )
        self._fields = settings.outbound_marketo_fields

    async def write_people(self, people: list[Push]) -> dict[str, str]:
        ids: dict[str, str] = {}
        async with httpx.AsyncClient(base_url=self._base, timeout=30.0, verify=tls_context()) as client:
            for chunk in chunks(people, MARKETO_BATCH):
                leads = [{"email": p.email, **mapped(p.facts, self._fields)} for p in chunk]
                body = {"action": "updateOnly", "lookupField": "email", "input": leads}
                answer = await self._rest(client, "POST", "/rest/v1/leads.json", len(chunk), json=body)
                for person, result in zip(chunk, answer.get("result", []), strict=False):
                    if result.get("status") in ("created", "updated") and result.get("id") is not None:
                        ids[person.person_id] = str(result["id"])
        return ids

    async def change_list(self, list_id: str, op: str, record_ids: list[str]) -> None:
        method = "POST" if op == "add" else "DELETE"
        async with httpx.AsyncClient(base_url=self._base, timeout=30.0, verify=tls_context()) as client:
            for chunk in chunks(record_ids, MARKETO_BATCH):
                params = [("id", record_id) for record_id in chunk]
                await self._rest(
                    client, method, f"/rest/v1/lists/{list_id}/leads.json", len(chunk), params=params
                )

    async def _rest(
        self, client: httpx.AsyncClient, method: str, path: str, items: int, **kwargs: Any
    ) -> dict[str, Any]:
        for fresh in (False, True):
            headers = {"Authorization": f"Bearer {await self._token(client, fresh=fresh)}"}
            response = await self.call(client, method, path, items=items, headers=headers, **kwargs)
            if not response.is_success:
                raise MapFailure(f"Marketo answered {response.status_code} to {path}", retryable=False)
            body: dict[str, Any] = response.json()
            if body.get("success", False):
                return body
            codes = [str(e.get("code")) for e in body.get("errors", [])]
            self.note(
                f"{method} {path}", items, response.status_code, "error", f"error codes {', '.join(codes)}"
            )
            if TOKEN_CODES & set(codes) and not fresh:
                continue
            if waits := [RATE_CODES[c] for c in codes if c in RATE_CODES]:
                raise RateLimited(max(waits))
            raise MapFailure(
                f"Marketo {path}: error codes {codes}", retryable=bool(TRANSIENT_CODES & set(codes))
            )
        raise MapFailure(f"Marketo {path}: the access token was refused twice", retryable=True)

    async def _token(self, client: httpx.AsyncClient, *, fresh: bool) -> str:
        held = _TOKENS.get(self._id)
        if held and not fresh and held[1] > time.monotonic():
            return held[0]
        params = {"grant_type": "client_credentials", "client_id": self._id, "client_secret": self._secret}
        response = await self.call(client, "GET", "/identity/oauth/token", items=0, params=params)
        if not response.is_success or "access_token" not in response.json():
            raise MapFailure(
                f"Marketo refused the client credentials ({response.status_code})", retryable=False
            )
        answer = response.json()
        token = str(answer["access_token"])
        _TOKENS[self._id] = (token, time.monotonic() + float(answer.get("expires_in", 3600)) - 60)
        return token
