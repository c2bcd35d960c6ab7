"""Scoring's tables (schema `scoring`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.tables import utcnow


class ScoringTable(SQLModel, registry=registry()):
    pass


class Person(ScoringTable, table=True):
    """One person's score: a lead, and after conversion also its contact."""

    __tablename__ = "people"
    person_id: str = Field(primary_key=True)
    email: str | None = None
    contact_id: str | None = Field(default=None, sa_column=sa.Column(sa.Text, unique=True))
    account_id: str | None = None
    title: str | None = None
    employees: int | None = None
    is_free_mail: bool = False
    fit: float = 0.0
    behaviour: float = 0.0
    score: float = 0.0
    lifecycle_stage: str = "suspect"
    fit_reasons: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(JSONB, nullable=False)
    )
    behaviour_reasons: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(JSONB, nullable=False)
    )
    model_version: str
    lead_version: int = 0  # the lead's aggregate version its facts come from (0: none yet)
    version: int = 0
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


class ScoredEngagement(ScoringTable, table=True):
    __tablename__ = "engagements"
    engagement_id: str = Field(primary_key=True)
    person_id: str = Field(index=True)
    kind: str
    points: float
    occurred_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
