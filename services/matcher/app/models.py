"""The matcher's records its use cases read and answer with: decisions and review items."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

MatchStatus = Literal["pending", "matched", "account_created", "in_review", "rejected"]


class Match(BaseModel):
    """The matcher's decision for one lead."""

    lead_id: str
    status: MatchStatus
    account_id: str | None = None
    contact_id: str | None = None
    method: str | None = None
    confidence: float | None = None
    explanation: str | None = None
    owner: str | None = None
    owner_reason: str | None = None
    decided_at: datetime | None = None


class ReviewItem(BaseModel):
    """A lead waiting for a person: uncertain matches, and no-matches under policy `review`."""

    item_id: str
    lead_id: str
    status: Literal["open", "resolved", "rejected"] = "open"
    reason: str
    country: str | None = None
    confidence: float
    candidates: list[dict[str, Any]]
    lead: dict[str, Any]
    resolution: str | None = None
    account_id: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    created_at: datetime


class ReviewFilter(BaseModel):
    status: Literal["open", "resolved", "rejected", "all"] = "open"
    reason: str | None = None
    country: str | None = None
    account_id: str | None = None
    overdue_before: datetime | None = None  # only items created before (True) or after (False)
    overdue: bool | None = None
    limit: int = 50
    offset: int = 0
