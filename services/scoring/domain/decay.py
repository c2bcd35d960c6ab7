"""Behaviour decay with a half-life, as arithmetic on one stored number.

Behaviour is kept as `value` points valued at `ref_at`; its worth at any later time is
`value * 2 ** -(elapsed / half_life)`. Adding an engagement moves the reference forward, so the
sum over every engagement's decayed points is exact without keeping them all. Because the
curve is known, so is the moment a score will have fallen by the emit step or below a
threshold: the decay pass touches only people whose moment has come.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# A due time is rounded up past the exact crossing, so the score is already across it.
CROSSING_MARGIN = timedelta(seconds=1)


@dataclass(frozen=True)
class Decaying:
    value: float
    ref_at: datetime | None

    def at(self, now: datetime, half_life: timedelta) -> float:
        if self.ref_at is None or self.value == 0:
            return 0.0
        return decayed(self.value, now - self.ref_at, half_life)

    def plus(self, points: float, at: datetime, half_life: timedelta) -> Decaying:
        """This behaviour with `points` earned at `at` (which may be earlier than `ref_at`)."""
        if self.ref_at is None:
            return Decaying(points, at)
        ref = max(self.ref_at, at)
        return Decaying(
            decayed(self.value, ref - self.ref_at, half_life) + decayed(points, ref - at, half_life), ref
        )


def decayed(points: float, elapsed: timedelta, half_life: timedelta) -> float:
    """`points` after `elapsed`; an engagement dated in the future is not worth more."""
    age = max(elapsed.total_seconds(), 0.0)
    return float(points * 0.5 ** (age / half_life.total_seconds()))


def time_to_fall(value: float, to: float, half_life: timedelta) -> timedelta | None:
    """How long `value` takes to decay to `to`; None when it never gets there."""
    if to <= 0 or value <= 0:
        return None
    if value <= to:
        return timedelta(0)
    return half_life * math.log2(value / to)


def next_due(
    *,
    base: float,
    behaviour: Decaying,
    emitted_score: float,
    step: float,
    thresholds: Iterable[float],
    half_life: timedelta,
) -> datetime | None:
    """When the score `base + behaviour` will have fallen `step` below the score last emitted,
    or below a threshold the emitted score was at or above, whichever comes first."""
    if behaviour.ref_at is None or behaviour.value <= 0:
        return None
    below = [t for t in thresholds if t <= emitted_score]
    targets = [emitted_score - step, *([max(below)] if below else [])]
    target = max(targets)
    wait = time_to_fall(behaviour.value, target - base, half_life)
    if wait is None:
        return None
    try:
        return behaviour.ref_at + wait + CROSSING_MARGIN
    except OverflowError:  # due past year 9999: never, for any purpose
        return None


def crossed(previous: float | None, current: float, thresholds: Iterable[float]) -> list[float]:
    """The thresholds between two scores."""
    if previous is None:
        return [t for t in thresholds if current >= t]
    return [t for t in thresholds if (previous >= t) != (current >= t)]


def worth_emitting(previous: float | None, current: float, step: float, thresholds: Iterable[float]) -> bool:
    """No event storms: a score is news when it moved by `step` or crossed a threshold."""
    if previous is None:
        return True
    return abs(current - previous) >= step or bool(crossed(previous, current, thresholds))
