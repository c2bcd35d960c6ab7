"""The platform's tables, present in every service's schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from shared.db import PlatformTable


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc_column(nullable: bool = False) -> Any:
    """A timezone-aware timestamp; a required one defaults to now() in the database."""
    default = None if nullable else sa.func.now()
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable, server_default=default)


class OutboxRow(PlatformTable, table=True):
    """An event waiting for (or kept after) publication. `seq` orders publication."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("outbox_unpublished", "seq", postgresql_where=sa.text("published_at IS NULL")),
        sa.Index("outbox_created_at", "created_at"),
    )
    seq: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    event_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    topic: str
    key: str
    headers: dict[str, str] = Field(sa_column=sa.Column(JSONB, nullable=False))
    payload: dict[str, Any] = Field(sa_column=sa.Column(JSONB, nullable=False))
    # Sent verbatim instead of `payload` when set (dead letters keep the bytes they received).
    value: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    published_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    partition: int | None = None
    offset: int | None = Field(default=None, sa_column=sa.Column("offset", sa.BigInteger))


class InboxRow(PlatformTable, table=True):
    """An event this service's consumer group has processed; written with the effects."""

    __tablename__ = "inbox"
    consumer: str = Field(primary_key=True)
    event_id: str = Field(primary_key=True)
    processed_at: datetime = Field(sa_column=utc_column())


class DeadLetterRow(PlatformTable, table=True):
    """An event that failed every attempt; it is also published to `<topic>.dlq`."""

    __tablename__ = "dead_letters"
    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    consumer: str
    topic: str
    partition: int
    offset: int = Field(sa_column=sa.Column("offset", sa.BigInteger, nullable=False))
    event_id: str | None = None
    event_type: str | None = None
    key: str | None = None
    headers: dict[str, str] = Field(sa_column=sa.Column(JSONB, nullable=False))
    value: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    error: str
    attempts: int
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
