"""Account engagement carries an opp through the first marketing stages: `target` -> `active`
when any person of the account engages, `active` -> `engaged` when enough distinct people do
within a window. The moves go through the same gates as a person's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngagementRule:
    to_active: int = 1  # distinct people engaged in the window
    to_engaged: int = 2
    window_days: float = 30.0


def next_stage(stage: str, engaged_people: int, rule: EngagementRule) -> str | None:
    """The stage account engagement moves an opp to from `stage`, or None."""
    if stage == "target" and engaged_people >= rule.to_active:
        return "engaged" if engaged_people >= rule.to_engaged else "active"
    if stage == "active" and engaged_people >= rule.to_engaged:
        return "engaged"
    return None
