"""Ingest's tables (schema `ingest`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.tables import utc_column, utcnow


class IngestTable(SQLModel, registry=registry()):
    pass


class Lead(IngestTable, table=True):
    __tablename__ = "leads"
    lead_id: str = Field(primary_key=True)
    email: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    email_domain: str
    is_free_mail: bool = False
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    phone: str | None = None
    company: str | None = None
    website: str | None = None
    website_domain: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: int | None = None
    source: str
    source_id: str | None = None
    campaign: str | None = None
    status: str = "new"
    account_id: str | None = None
    contact_id: str | None = None
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Engagement(IngestTable, table=True):
    __tablename__ = "engagements"
    engagement_id: str = Field(primary_key=True)
    lead_id: str = Field(index=True)
    kind: str
    occurred_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    campaign: str | None = None
    url: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(JSONB, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
