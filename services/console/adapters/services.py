"""The services' HTTP APIs, called with the console's own key on behalf of the signed-in person."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

import httpx

from services.console.app.ports import Refused, Unreachable
from services.console.settings import ConsoleSettings
from shared.app import ON_BEHALF

CACHE_ENTRIES = 256


class HttpServices:
    def __init__(self, settings: ConsoleSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        key = settings.console_api_key.get_secret_value() if settings.console_api_key else ""
        self._urls = settings.console_service_urls
        self._ttl = settings.console_report_cache_seconds
        self._cache: OrderedDict[tuple[str, str, str], tuple[float, Any]] = OrderedDict()
        self._clients = {
            name: httpx.AsyncClient(
                base_url=url,
                headers={"Authorization": f"Bearer {key}"},
                timeout=settings.console_http_timeout_seconds,
                transport=transport,
            )
            for name, url in self._urls.items()
        }

    async def _send(self, service: str, method: str, path: str, actor: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._clients[service].request(method, path, headers={ON_BEHALF: actor}, **kwargs)
        except httpx.TransportError as away:
            raise Unreachable(service, self._urls[service], type(away).__name__) from None

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        actor: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        cached: bool = False,
    ) -> Any:
        key = (service, path, repr(sorted((params or {}).items())))
        cacheable = cached and method == "GET" and self._ttl > 0
        if cacheable and (hit := self._cache.get(key)) and hit[0] > time.monotonic():
            return hit[1]
        answer = await self._send(service, method, path, actor, params=params, json=json)
        _raise_for(service, answer)
        found = answer.json() if answer.status_code != 204 and answer.content else None
        if cacheable:
            self._cache[key] = (time.monotonic() + self._ttl, found)
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return found

    async def raw(
        self, service: str, path: str, *, actor: str, params: dict[str, Any] | None = None
    ) -> bytes:
        answer = await self._send(service, "GET", path, actor, params=params)
        _raise_for(service, answer)
        return answer.content

    async def ready(self, service: str) -> dict[str, Any]:
        try:
            answer = await self._clients[service].get("/readyz")
        except httpx.TransportError as away:
            return {"status": "not reachable", "error": f"{self._urls[service]}: {type(away).__name__}"}
        try:
            found: dict[str, Any] = answer.json()
        except ValueError:
            return {"status": f"answers {answer.status_code}", "error": "not a Cascade service"}
        return found

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()


def _raise_for(service: str, answer: httpx.Response) -> None:
    if answer.is_success:
        return
    try:
        problem = answer.json()
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    detail = str(problem.get("detail") or problem.get("title") or f"{service} answered {answer.status_code}")
    errors = [e for e in problem.get("errors", []) if isinstance(e, dict)]
    gate = problem.get("gate")
    if isinstance(gate, dict) and gate.get("message"):
        detail = f"{detail} ({gate['message']})"
    raise Refused(service, answer.status_code, detail, errors)
