"""Scoring's records: a person's score with its facts and reasons, the local copies of accounts
and deals it keeps, and lifecycle changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel


class Person(BaseModel):
    """One person's score: a lead, and after conversion also its contact. Mutable on purpose:
    the scorer changes several fields at once and the handler saves it.

    Behaviour is kept as `behaviour_ref` points valued at `behaviour_ref_at` (see
    `domain.decay`); `behaviour` and `score` are their values at `updated_at`, and `due_at` is
    when decay will have moved the score far enough from `emitted_score` to be news.
    """

    person_id: str
    email: str | None = None
    email_domain: str | None = None
    contact_id: str | None = None
    account_id: str | None = None
    title: str | None = None
    employees: int | None = None
    industry: str | None = None
    country: str | None = None
    is_free_mail: bool = False
    unsubscribed: bool = False
    bounced: bool = False
    rejected: str | None = None  # why the lead was rejected in review, and by whom
    answers: dict[str, str] = {}
    fit: float = 0.0
    negative: float = 0.0
    behaviour: float = 0.0
    score: float = 0.0
    behaviour_ref: float = 0.0
    behaviour_ref_at: datetime | None = None
    emitted_score: float | None = None
    due_at: datetime | None = None
    last_engaged_at: datetime | None = None
    lifecycle_stage: str = "suspect"
    stage_changed_at: datetime | None = None
    recycled_at: datetime | None = None
    fit_reasons: list[dict[str, Any]] = []
    negative_reasons: list[dict[str, Any]] = []
    behaviour_reasons: list[dict[str, Any]] = []
    model_version: str
    lead_version: int = 0  # the lead's aggregate version its facts come from (0: none yet)
    version: int = 0
    updated_at: datetime | None = None


class AccountFacts(BaseModel):
    """An account's firmographics (fit for its contacts whose lead lacked them) and customer flag."""

    account_id: str
    industry: str | None = None
    employees: int | None = None
    country: str | None = None
    is_customer: bool = False
    version: int = 0


class LifecycleChange(BaseModel):
    person_id: str
    from_stage: str
    to_stage: str
    at: datetime
    actor: str
    reason: str


class Membership(BaseModel):
    """A contact in an opportunity's buying group, with its role."""

    opp_id: str
    contact_id: str
    account_id: str
    role: str | None = None
    status: Literal["potential", "confirmed"] = "confirmed"
    suggested_role: str | None = None
    is_primary: bool = False


class Deal(BaseModel):
    """What scoring knows of an opportunity: its account and whether it is closed."""

    opp_id: str
    account_id: str
    stage: str | None = None
    is_closed: bool = False
    is_won: bool = False


class SegmentMember(BaseModel):
    segment_id: str
    person_id: str
    detail: dict[str, Any] = {}
    added_at: datetime
