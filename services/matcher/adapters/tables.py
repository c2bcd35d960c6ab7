"""Matcher's tables (schema `matcher`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.tables import utc_column, utcnow


class MatcherTable(SQLModel, registry=registry()):
    pass


class Account(MatcherTable, table=True):
    __tablename__ = "accounts"
    account_id: str = Field(primary_key=True)
    external_id: str | None = Field(default=None, sa_column=sa.Column(sa.Text, unique=True))
    name: str
    domains: list[str] = Field(default_factory=list, sa_column=sa.Column(ARRAY(sa.Text), nullable=False))
    website: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: int | None = None
    parent_id: str | None = None
    owner: str | None = None
    csm: str | None = None
    is_customer: bool = False
    # Match keys from the name (domain.names): exact key, trigram text, acronym.
    name_key: str = ""
    name_text: str = ""
    acronym: str | None = None
    core_key: str = ""
    sorted_key: str = ""
    open_opps: int = 0
    last_activity_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class AccountDomain(MatcherTable, table=True):
    """Which account owns a web domain: the exact-domain index, one owner per domain."""

    __tablename__ = "account_domains"
    domain: str = Field(primary_key=True)
    account_id: str = Field(index=True)
    label: str = ""  # the domain's name part as a name key: acme-corp.com -> acmecorp


class Contact(MatcherTable, table=True):
    __tablename__ = "contacts"
    contact_id: str = Field(primary_key=True)
    email: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    account_id: str = Field(index=True)
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Match(MatcherTable, table=True):
    """The matcher's decision for one lead."""

    __tablename__ = "matches"
    lead_id: str = Field(primary_key=True)
    status: str
    account_id: str | None = None
    contact_id: str | None = None
    method: str
    confidence: float
    explanation: str
    owner: str | None = None
    owner_reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class EarlyLeadChanges(MatcherTable, table=True):
    """Person changes of a lead whose `lead.updated` came before its `lead.created`."""

    __tablename__ = "early_lead_changes"
    lead_id: str = Field(primary_key=True)
    changes: dict[str, Any] = Field(sa_column=sa.Column(JSONB, nullable=False))


class ReviewItem(MatcherTable, table=True):
    """A lead waiting for a person: uncertain matches, and no-matches under policy `review`."""

    __tablename__ = "review_items"
    item_id: str = Field(primary_key=True)
    lead_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    status: str = "open"  # open | resolved | rejected
    reason: str
    country: str | None = None
    confidence: float
    candidates: list[dict[str, Any]] = Field(sa_column=sa.Column(JSONB, nullable=False))
    lead: dict[str, Any] = Field(sa_column=sa.Column(JSONB, nullable=False))
    resolution: str | None = None
    account_id: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class RoutingCount(MatcherTable, table=True):
    """How many new accounts each member of a territory pool was given (weighted round-robin)."""

    __tablename__ = "routing_counts"
    pool: str = Field(primary_key=True)
    owner: str = Field(primary_key=True)
    assigned: int = 0


class AccountOpp(MatcherTable, table=True):
    """An account's opportunity as opp events describe it: open until a closed stage."""

    __tablename__ = "account_opps"
    opp_id: str = Field(primary_key=True)
    account_id: str = Field(index=True)
    stage: str
    open: bool
