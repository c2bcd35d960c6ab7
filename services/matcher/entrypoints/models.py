"""What the matcher's routes accept and answer beyond the use cases' own records."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Short = Annotated[str, Field(max_length=255)]


class ImportOut(BaseModel):
    import_id: str
    format: str
    status: Literal["running", "done", "failed"]
    phase: str
    rows_read: int
    rows_valid: int
    rows_staged: int
    inserted: int
    updated: int
    error_count: int
    errors: list[dict[str, Any]]
    started_at: datetime
    finished_at: datetime | None
    failure: str | None = None


class ReviewCandidateOut(BaseModel):
    account_id: str
    name: str
    score: float
    method: str
    reasons: list[str] = []


class ReviewItemOut(BaseModel):
    item_id: str
    lead_id: str
    status: Literal["open", "resolved", "rejected"]
    reason: str
    confidence: float
    candidates: list[ReviewCandidateOut]
    email: str
    company: str | None
    country: str | None
    created_at: datetime
    age_hours: float
    sla_hours: float
    overdue: bool
    resolution: str | None
    account_id: str | None
    resolved_by: str | None
    resolved_at: datetime | None


class ResolveIn(BaseModel):
    """Pick an account, create one from the lead (optionally renamed), or reject the lead."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    action: Literal["pick", "create", "reject"]
    account_id: Short | None = None
    account_name: Short | None = None
    reason: Annotated[str, Field(max_length=1000)] | None = None
