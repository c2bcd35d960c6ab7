"""Events about segments of people: who entered or left one (scoring keeps them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from shared.events.base import Event


class SegmentMembershipChanged(Event):
    """A person entered (`added`) or left (`removed`) a segment. `facts` are the person's
    buying-group facts as the MAP should hold them (lifecycle stage, score, buying role, open opp
    stage); `detail` says why they are in it (the opp, the uncovered role)."""

    TYPE = "segment.membership_changed"
    segment_id: str
    segment_name: str
    person_id: str
    change: Literal["added", "removed"]
    email: str | None = None
    contact_id: str | None = None
    account_id: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    facts: dict[str, Any] = Field(default_factory=dict)
    at: datetime

    def key(self) -> str:
        return self.person_id
