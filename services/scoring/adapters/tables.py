"""Scoring's tables (schema `scoring`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.tables import utc_column, utcnow


class ScoringTable(SQLModel, registry=registry()):
    pass


def _json(default: Any) -> Any:
    return Field(default_factory=lambda: type(default)(), sa_column=sa.Column(JSONB, nullable=False))


class Person(ScoringTable, table=True):
    """One person's score: a lead, and after conversion also its contact.

    Behaviour is stored as `behaviour_ref` points valued at `behaviour_ref_at` (see
    `domain.decay`); `behaviour` and `score` are their values at `updated_at`, and `due_at` is
    when decay will have moved the score far enough from `emitted_score` to be news.
    """

    __tablename__ = "people"
    person_id: str = Field(primary_key=True)
    email: str | None = None
    email_domain: str | None = None
    contact_id: str | None = Field(default=None, sa_column=sa.Column(sa.Text, unique=True))
    account_id: str | None = None
    title: str | None = None
    employees: int | None = None
    industry: str | None = None
    country: str | None = None
    is_free_mail: bool = False
    unsubscribed: bool = False
    bounced: bool = False
    rejected: str | None = None  # why the lead was rejected in review, and by whom
    answers: dict[str, str] = _json({})
    fit: float = 0.0
    negative: float = 0.0
    behaviour: float = 0.0
    score: float = 0.0
    behaviour_ref: float = 0.0
    behaviour_ref_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    emitted_score: float | None = None
    due_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_engaged_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    lifecycle_stage: str = "suspect"
    stage_changed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    recycled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    fit_reasons: list[dict[str, Any]] = _json([])
    negative_reasons: list[dict[str, Any]] = _json([])
    behaviour_reasons: list[dict[str, Any]] = _json([])
    model_version: str
    lead_version: int = 0  # the lead's aggregate version its facts come from (0: none yet)
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class ScoredEngagement(ScoringTable, table=True):
    __tablename__ = "engagements"
    engagement_id: str = Field(primary_key=True)
    person_id: str = Field(index=True)
    kind: str
    points: float
    occurred_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    campaign: str | None = None  # as the source sent it: a name, or the platform's id
    campaign_external_id: str | None = None


class Alias(ScoringTable, table=True):
    """A lead merged into another person (two leads converted to one contact)."""

    __tablename__ = "aliases"
    lead_id: str = Field(primary_key=True)
    person_id: str = Field(index=True)


class DailyPoints(ScoringTable, table=True):
    """Behaviour points a person earned per kind and day, for the daily caps."""

    __tablename__ = "daily_points"
    person_id: str = Field(primary_key=True)
    day: date = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    points: float


class LifecycleChange(ScoringTable, table=True):
    __tablename__ = "lifecycle_changes"
    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    person_id: str = Field(index=True)
    from_stage: str
    to_stage: str
    at: datetime = Field(sa_column=utc_column())
    actor: str
    reason: str


class Deal(ScoringTable, table=True):
    """What scoring knows of an opportunity: its account and whether it is closed."""

    __tablename__ = "deals"
    opp_id: str = Field(primary_key=True)
    account_id: str = Field(index=True)
    stage: str | None = None
    is_closed: bool = False
    is_won: bool = False


class GroupMember(ScoringTable, table=True):
    """A contact in an opportunity's buying group, with its role."""

    __tablename__ = "group_members"
    opp_id: str = Field(primary_key=True)
    contact_id: str = Field(primary_key=True, index=True)
    account_id: str = Field(index=True)
    role: str | None = None
    status: str = "confirmed"
    suggested_role: str | None = None
    is_primary: bool = False
    added_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Account(ScoringTable, table=True):
    """An account's firmographics (fit for its contacts whose lead lacked them) and customer flag."""

    __tablename__ = "accounts"
    account_id: str = Field(primary_key=True)
    industry: str | None = None
    employees: int | None = None
    country: str | None = None
    is_customer: bool = False
    version: int = 0


class SegmentMember(ScoringTable, table=True):
    """A person in a segment, with why (the opps, the uncovered role)."""

    __tablename__ = "segment_members"
    segment_id: str = Field(primary_key=True)
    person_id: str = Field(primary_key=True, index=True)
    detail: dict[str, Any] = _json({})
    added_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class SegmentDue(ScoringTable, table=True):
    """When time alone may change a person's segments (an SLA runs out, engagement grows old)."""

    __tablename__ = "segment_due"
    person_id: str = Field(primary_key=True)
    due_at: datetime = Field(sa_column=utc_column())
