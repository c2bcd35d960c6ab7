"""What the matcher's API accepts and returns."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Short = Annotated[str, Field(max_length=255)]


class AccountFields(BaseModel):
    """What an account is, as the API and the import both take it."""

    name: Annotated[str, Field(min_length=1, max_length=255)]
    domains: Annotated[list[Annotated[str, Field(max_length=255)]], Field(max_length=100)] = []
    website: Annotated[str, Field(max_length=2048)] | None = None
    country: Annotated[str, Field(max_length=64)] | None = None
    industry: Short | None = None
    employees: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    owner: Short | None = None
    csm: Short | None = None
    is_customer: bool = False
    last_activity_at: datetime | None = None


class AccountIn(AccountFields):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    external_id: Short | None = None
    parent_id: Short | None = None


class AccountPatch(BaseModel):
    """Only the fields sent change; `domains` replaces the account's list."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    domains: Annotated[list[Annotated[str, Field(max_length=255)]], Field(max_length=100)] | None = None
    website: Annotated[str, Field(max_length=2048)] | None = None
    country: Annotated[str, Field(max_length=64)] | None = None
    industry: Short | None = None
    employees: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    parent_id: Short | None = None
    owner: Short | None = None
    csm: Short | None = None
    is_customer: bool | None = None
    last_activity_at: datetime | None = None


class AccountOut(BaseModel):
    account_id: str
    external_id: str | None
    name: str
    domains: list[str]
    website: str | None
    country: str | None
    industry: str | None
    employees: int | None
    parent_id: str | None
    owner: str | None
    csm: str | None
    is_customer: bool
    open_opps: int
    last_activity_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class MatchOut(BaseModel):
    lead_id: str
    status: Literal["pending", "matched", "account_created", "in_review", "rejected"]
    account_id: str | None = None
    contact_id: str | None = None
    method: str | None = None
    confidence: float | None = None
    explanation: str | None = None
    owner: str | None = None
    owner_reason: str | None = None
    decided_at: datetime | None = None


class AccountImportRow(AccountFields):
    """One row of `POST /v1/accounts/import` (CSV columns or NDJSON keys); unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    external_id: Annotated[str, Field(min_length=1, max_length=255)]
    parent_external_id: Short | None = None

    @field_validator("domains", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        """CSV cells hold several domains separated by `;`, `|`, `,` or spaces."""
        if isinstance(value, str):
            return [d for d in re.split(r"[;|,\s]+", value) if d]
        return value


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
    resolved_by: Annotated[str, Field(min_length=1, max_length=255)]
    account_id: Short | None = None
    account_name: Short | None = None
    reason: Annotated[str, Field(max_length=1000)] | None = None
