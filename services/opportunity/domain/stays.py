"""Time in each stage from an opp's history: first and last entry, last exit, how many times it
entered, and the cumulative time (a re-entry adds to it), as HubSpot keeps per stage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Move:
    to_stage: str
    at: datetime


@dataclass
class StageTime:
    first_entered: datetime
    last_entered: datetime
    last_exited: datetime | None = None
    entries: int = 1
    seconds: float = 0.0  # cumulative, the current stay counted up to `now`


def stays(moves: Sequence[Move], now: datetime) -> dict[str, StageTime]:
    """Per stage, from the moves in order (the first is the creation into the first stage)."""
    out: dict[str, StageTime] = {}
    for move, following in zip(moves, [*moves[1:], None], strict=True):
        left = following.at if following else None
        spent = ((left or now) - move.at).total_seconds()
        time = out.get(move.to_stage)
        if time is None:
            out[move.to_stage] = StageTime(move.at, move.at, left, 1, max(spent, 0.0))
            continue
        time.last_entered, time.entries = move.at, time.entries + 1
        time.seconds += max(spent, 0.0)
        time.last_exited = left or time.last_exited
    return out
