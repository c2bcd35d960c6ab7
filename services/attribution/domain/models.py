"""Attribution models: how an opp's amount is split over its touches, in integer cents.

A model gives each touch a weight; `split` turns weights into cents that sum to the amount
exactly. Positional models put fixed shares on milestone touches (first touch, lead creation,
opp creation, last touch) and spread the rest evenly over the touches that are no milestone.
Milestones that fall on one touch give it all their shares; with no other touch left, the rest's
share goes to the milestones in proportion to theirs (U-shaped over two touches is 50/50).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

ModelName = Literal["first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "full_path", "time_decay"]
MODELS: tuple[ModelName, ...] = (
    "first_touch",
    "last_touch",
    "linear",
    "u_shaped",
    "w_shaped",
    "full_path",
    "time_decay",
)


@dataclass(frozen=True)
class Milestones:
    """Indexes, into the opp's touches in time order, of the touches each milestone falls on."""

    first: int
    lead_creation: int
    opp_creation: int
    last: int


# Per positional model: (share of each milestone, share of the rest), in half-percents (22.5% is 45).
POSITIONAL: dict[str, tuple[tuple[tuple[str, int], ...], int]] = {
    "u_shaped": ((("first", 80), ("lead_creation", 80)), 40),
    "w_shaped": ((("first", 60), ("lead_creation", 60), ("opp_creation", 60)), 20),
    "full_path": (tuple((name, 45) for name in ("first", "lead_creation", "opp_creation", "last")), 20),
}


def weights(
    model: ModelName, times: Sequence[datetime], milestones: Milestones, half_life: timedelta
) -> list[int]:
    """The weight of each touch (`times` in time order, at least one) under `model`, as integers
    in proportion (exact arithmetic that stays fast over millions of touches)."""
    n = len(times)
    if model == "first_touch":
        return [1 if i == 0 else 0 for i in range(n)]
    if model == "last_touch":
        return [1 if i == n - 1 else 0 for i in range(n)]
    if model == "linear":
        return [1] * n
    if model == "time_decay":
        return _decay(times, half_life)
    return _positional(model, n, milestones)


def _positional(model: str, n: int, milestones: Milestones) -> list[int]:
    """The rest's share is spread evenly over the k touches that are no milestone: in integers,
    the milestones' shares times k and the rest's share once for each of the k."""
    shares, rest = POSITIONAL[model]
    out = [0] * n
    for name, share in shares:
        out[getattr(milestones, name)] += share
    others = [i for i in range(n) if out[i] == 0]
    if not others:
        return out
    return [rest if w == 0 else w * len(others) for w in out]


def _decay(times: Sequence[datetime], half_life: timedelta) -> list[int]:
    """A touch `half_life` before the latest weighs half as much (only the ratios matter, so the
    latest touch is the reference rather than the clock: the split stays put as time passes)."""
    latest = max(times)
    return [round(math.ldexp(math.pow(2.0, -((latest - at) / half_life)), 52)) for at in times]


def split(amount_cents: int, touch_weights: Sequence[int]) -> list[int]:
    """`amount_cents` over the weights, summing to it exactly (largest remainder).

    Each touch gets the floor of its exact share; the cents left over go one each to the touches
    with the largest remainders, ties to the earlier touch. A negative amount (a credit note) is
    split as its opposite and negated; a zero weight always gets zero.
    """
    if amount_cents < 0:
        return [-c for c in split(-amount_cents, touch_weights)]
    total = sum(touch_weights)
    if total <= 0:
        return [0] * len(touch_weights)
    shares = [divmod(amount_cents * w, total) for w in touch_weights]
    cents = [q for q, _ in shares]
    left = amount_cents - sum(cents)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-shares[i][1], i))
    for i in by_remainder[:left]:
        cents[i] += 1
    return cents
