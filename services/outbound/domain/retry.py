"""When to try a delivery again, when to give up on it, and when to give up on its endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float
    max_seconds: float
    window: timedelta
    disable_after: timedelta


def next_delay(policy: RetryPolicy, attempts: int, jitter: float) -> float:
    """Exponential backoff with jitter: attempt n waits base * 2^(n-1), capped, scaled by a factor
    in [0.5, 1.5) from `jitter` in [0, 1) so that endpoints failing together do not retry together."""
    delay: float = min(policy.base_seconds * 2.0 ** max(attempts - 1, 0), policy.max_seconds)
    return delay * (0.5 + jitter)


def gives_up(policy: RetryPolicy, window_from: datetime, retry_at: datetime) -> bool:
    """A delivery whose next try would fall outside its retry window is failed for good."""
    return retry_at - window_from > policy.window


def disables(policy: RetryPolicy, failing_since: datetime | None, now: datetime) -> bool:
    """An endpoint that has failed every attempt for `disable_after` is switched off."""
    return failing_since is not None and now - failing_since >= policy.disable_after


def succeeded(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300
