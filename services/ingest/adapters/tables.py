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
    seniority: str | None = None
    department: str | None = None
    company_legal_suffix: str | None = None
    unsubscribed: bool | None = None
    marketing_consent: bool | None = None
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
    campaign_external_id: str | None = None  # the platform's id, when `campaign` is the name
    source: str | None = None
    url: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(JSONB, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class LeadSourceId(IngestTable, table=True):
    """The id a source (HubSpot, Mautic...) knows a lead by."""

    __tablename__ = "lead_source_ids"
    source: str = Field(primary_key=True)
    source_id: str = Field(primary_key=True)
    lead_id: str = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class WebhookDelivery(IngestTable, table=True):
    """A delivery's raw body as received, and the answer given (returned again on a redelivery)."""

    __tablename__ = "webhook_deliveries"
    source: str = Field(primary_key=True)
    delivery_id: str = Field(primary_key=True)
    content_type: str
    body: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    response: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JSONB))
    received_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    redacted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class WebhookReceipt(IngestTable, table=True):
    """One item of a delivery, by the source's id for it: a repeat is a duplicate."""

    __tablename__ = "webhook_receipts"
    source: str = Field(primary_key=True)
    item_key: str = Field(primary_key=True)
    delivery_id: str
    outcome: str
    lead_id: str | None = None
    reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class QuarantinedItem(IngestTable, table=True):
    """An item (or a whole unreadable body) refused with its reason, kept to be fixed and re-submitted."""

    __tablename__ = "quarantine"
    quarantine_id: str = Field(primary_key=True)
    source: str
    delivery_id: str | None = None
    item_key: str | None = None
    payload: dict[str, Any] = Field(sa_column=sa.Column(JSONB, nullable=False))
    reason: str
    field: str | None = None
    status: str = "open"
    resubmitted_payload: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JSONB))
    lead_id: str | None = None
    resolved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    resolved_by: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Erasure(IngestTable, table=True):
    """An erasure request, kept with no personal data: the email's hash says who, not the email."""

    __tablename__ = "erasures"
    erasure_id: str = Field(primary_key=True)
    email_hash: str = Field(index=True)
    requested_by: str
    leads: int
    requested_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class LeadImportRow(IngestTable, table=True):
    """A bulk lead import's progress report, saved with each chunk it loads."""

    __tablename__ = "lead_imports"
    import_id: str = Field(primary_key=True)
    status: str
    report: dict[str, Any] = Field(sa_column=sa.Column(JSONB, nullable=False))
    started_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())
