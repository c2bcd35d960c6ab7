"""Outbound's tables (schema `outbound`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.tables import utc_column, utcnow


class OutboundTable(SQLModel, registry=registry()):
    pass


def _json(default: Any) -> Any:
    return Field(default_factory=lambda: type(default)(), sa_column=sa.Column(JSONB, nullable=False))


def _seq() -> Any:
    return Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))


class Subscription(OutboundTable, table=True):
    __tablename__ = "subscriptions"
    subscription_id: str = Field(primary_key=True)
    url: str
    events: list[str] = _json([])
    filter: dict[str, list[Any]] = _json({})
    description: str | None = None
    secret: str
    previous_secret: str | None = None
    previous_secret_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    status: str = "active"
    disabled_reason: str | None = None
    failing_since: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_by: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Delivery(OutboundTable, table=True):
    __tablename__ = "deliveries"
    seq: int | None = _seq()
    delivery_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    subscription_id: str
    event_id: str
    event_type: str
    key: str
    body: str
    status: str = "pending"
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    event_at: datetime = Field(sa_column=utc_column())
    window_from: datetime = Field(sa_column=utc_column())
    next_attempt_at: datetime = Field(sa_column=utc_column())
    delivered_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Attempt(OutboundTable, table=True):
    __tablename__ = "attempts"
    id: int | None = _seq()
    delivery_id: str
    attempt: int
    at: datetime = Field(sa_column=utc_column())
    status_code: int | None = None
    error: str | None = None
    duration_ms: float


class Alert(OutboundTable, table=True):
    __tablename__ = "alerts"
    seq: int | None = _seq()
    alert_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    kind: str
    subject: str
    text: str
    channel: str
    target: str
    format: str
    audience: str
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime = Field(sa_column=utc_column())
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class WatchState(OutboundTable, table=True):
    __tablename__ = "watch_state"
    name: str = Field(primary_key=True)
    value: dict[str, Any] = _json({})
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class SyncOp(OutboundTable, table=True):
    __tablename__ = "sync_ops"
    seq: int | None = _seq()
    system: str
    op: str
    list_id: str
    person_id: str
    email: str
    facts: dict[str, Any] = _json({})
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime = Field(sa_column=utc_column())
    done_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class ExternalId(OutboundTable, table=True):
    """A person's record id in a MAP (HubSpot contact id, Marketo lead id)."""

    __tablename__ = "external_ids"
    system: str = Field(primary_key=True)
    person_id: str = Field(primary_key=True)
    external_id: str


class SyncLog(OutboundTable, table=True):
    __tablename__ = "sync_log"
    id: int | None = _seq()
    system: str
    request: str
    items: int
    status_code: int | None = None
    outcome: str
    detail: str | None = None
    at: datetime = Field(sa_column=utc_column())
