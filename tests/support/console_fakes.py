"""A stand-in for the services' APIs (the console's `Services` port): canned answers by route,
and every call recorded with the actor it was made for."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.console.app.ports import Refused, Unreachable

Answer = Any | Callable[[dict[str, Any]], Any]


@dataclass
class Call:
    service: str
    method: str
    path: str
    actor: str
    params: dict[str, Any] | None
    json: Any


@dataclass
class FakeServices:
    routes: dict[tuple[str, str, str], Answer] = field(default_factory=dict)  # (service, method, path regex)
    away: set[str] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)

    def on(self, service: str, method: str, path: str, answer: Answer) -> None:
        self.routes[(service, method, path)] = answer

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
        if service in self.away:
            raise Unreachable(service, f"http://{service}.invalid", "ConnectError")
        self.calls.append(Call(service, method, path, actor, params, json))
        for (name, verb, pattern), answer in self.routes.items():
            if (name, verb) == (service, method) and re.fullmatch(pattern, path):
                if isinstance(answer, Refused):
                    raise answer
                return (
                    answer({"params": params or {}, "json": json, "path": path, "actor": actor})
                    if callable(answer)
                    else answer
                )
        raise Refused(service, 404, f"Not Found: {method} {path}", [])

    async def raw(
        self, service: str, path: str, *, actor: str, params: dict[str, Any] | None = None
    ) -> bytes:
        return b""

    async def ready(self, service: str) -> dict[str, Any]:
        if service in self.away:
            return {"status": "not reachable", "error": f"http://{service}.invalid: ConnectError"}
        return {"status": "ready", "checks": {"database": {"ok": True}, "broker": {"ok": True}}}

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method != "GET"]
