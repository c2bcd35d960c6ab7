"""What the MAP clients share: a rolling-window rate limit per API account (process-wide, as the
MAP counts it), Retry-After honoured on 429, retries of 5xx and network errors, and the sync log."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from services.outbound.app.map_sync import MapFailure, RateLimited
from services.outbound.app.models import SyncLogEntry

ATTEMPTS = 4
LONGEST_INLINE_WAIT = 30.0  # a longer Retry-After puts the batch back in the queue instead


class Window:
    """At most `calls` requests in any `seconds`."""

    def __init__(self, calls: int, seconds: float) -> None:
        self.calls, self.seconds = calls, seconds
        self.sent: deque[float] = deque()

    async def wait(self) -> None:
        while True:
            now = time.monotonic()
            while self.sent and self.sent[0] <= now - self.seconds:
                self.sent.popleft()
            if len(self.sent) < self.calls:
                self.sent.append(now)
                return
            await asyncio.sleep(self.sent[0] + self.seconds - now)


_WINDOWS: dict[str, Window] = {}


def window_for(account: str, calls: int, seconds: float) -> Window:
    found = _WINDOWS.get(account)
    if found is None or (found.calls, found.seconds) != (calls, seconds):
        found = _WINDOWS[account] = Window(calls, seconds)
    return found


def retry_after(headers: httpx.Headers, default: float) -> float:
    """Retry-After as seconds or an HTTP date; `default` when absent or unreadable."""
    value = headers.get("retry-after")
    if not value:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return default


class MapHttp:
    def __init__(self, system: str, window: Window) -> None:
        self.system = system
        self._window = window
        self._log: list[SyncLogEntry] = []

    def drain_log(self) -> list[SyncLogEntry]:
        entries, self._log = self._log, []
        return entries

    def note(
        self, request: str, items: int, status: int | None, outcome: str, detail: str | None = None
    ) -> None:
        self._log.append(
            SyncLogEntry(
                system=self.system,
                request=request,
                items=items,
                status_code=status,
                outcome=outcome,
                detail=detail[:500] if detail else None,
                at=datetime.now(UTC),
            )
        )

    async def call(
        self, client: httpx.AsyncClient, method: str, path: str, *, items: int, **kwargs: Any
    ) -> httpx.Response:
        """The answer to a request (2xx or 4xx other than 429), after the waits and retries."""
        request = f"{method} {path}"
        for attempt in range(1, ATTEMPTS + 1):
            await self._window.wait()
            try:
                response = await client.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                self.note(request, items, None, "error", f"{type(exc).__name__}: {exc}")
                if attempt == ATTEMPTS:
                    raise MapFailure(f"{request}: {exc}", retryable=True) from exc
                await asyncio.sleep(2.0**attempt)
                continue
            if response.status_code == 429:
                wait = retry_after(response.headers, default=10.0)
                self.note(request, items, 429, "rate_limited", f"retry after {wait:g}s")
                if wait > LONGEST_INLINE_WAIT or attempt == ATTEMPTS:
                    raise RateLimited(wait)
                await asyncio.sleep(wait)
                continue
            if response.status_code >= 500:
                self.note(request, items, response.status_code, "error", response.text)
                if attempt == ATTEMPTS:
                    raise MapFailure(f"{request} answered {response.status_code}", retryable=True)
                await asyncio.sleep(2.0**attempt)
                continue
            outcome = "ok" if response.is_success else "refused"
            self.note(
                request, items, response.status_code, outcome, None if response.is_success else response.text
            )
            return response
        raise AssertionError("unreachable")
