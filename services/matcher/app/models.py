"""The matcher's records its use cases read and answer with: decisions and review items."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel

MAX_REPORTED_ERRORS = 1000
ERASED = "the person asked to be erased"  # why an erased lead's match and review items closed
MatchStatus = Literal["pending", "matched", "account_created", "in_review", "rejected", "erased"]


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


@dataclass
class ImportProgress:
    import_id: str
    format: str
    status: str = "running"  # running | done | failed
    phase: str = "parsing"
    rows_read: int = 0
    rows_valid: int = 0
    rows_staged: int = 0
    inserted: int = 0
    updated: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    failure: str | None = None

    def error(self, line: int, external_id: str | None, field_name: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(
                {"line": line, "external_id": external_id, "field": field_name, "reason": reason}
            )
