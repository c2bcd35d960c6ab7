"""Log lines that recur during an outage, at most one per key per window, never thousands a minute."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

WINDOW_SECONDS = 30.0


class Throttle:
    def __init__(self, every: float = WINDOW_SECONDS) -> None:
        self.every = every
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def __call__(self, emit: Callable[..., Any], event: str, *, key: str = "", **fields: Any) -> bool:
        """Emit `event` unless the same event and key was emitted within the window; the line that
        goes out says how many were held back since the last one. True when it went out."""
        name = f"{event}\x00{key}"
        now = time.monotonic()
        last = self._last.get(name)
        if last is not None and now - last < self.every:
            self._held[name] = self._held.get(name, 0) + 1
            return False
        self._last[name] = now
        held = self._held.pop(name, 0)
        emit(event, **fields, **({"suppressed": held} if held else {}))
        return True
