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


class LeadFieldVersions(MatcherTable, table=True):
    """Per lead, the version of the `lead.updated` that last set each person field."""

    __tablename__ = "lead_field_versions"
    lead_id: str = Field(primary_key=True)
    versions: dict[str, int] = Field(sa_column=sa.Column(JSONB, nullable=False))


class AccountImport(MatcherTable, table=True):
    """An account import's report, where every replica can read it."""

    __tablename__ = "account_imports"
    import_id: str = Field(primary_key=True)
    report: dict[str, Any] = Field(sa_column=sa.Column(JSONB, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


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
    """How many accounts each member of a pool was given in the pool's turn (weighted round-robin)."""

    __tablename__ = "routing_counts"
    pool: str = Field(primary_key=True)
    turn: int = Field(default=1, primary_key=True)
    owner: str = Field(primary_key=True)
    assigned: int = 0


class Rep(MatcherTable, table=True):
    """A person who sells (`shared.events.teams.RepFields`)."""

    __tablename__ = "reps"
    rep_id: str = Field(primary_key=True)
    name: str
    team: str
    email: str | None = None
    countries: list[str] = Field(default_factory=list, sa_column=sa.Column(ARRAY(sa.Text), nullable=False))
    regions: list[str] = Field(default_factory=list, sa_column=sa.Column(ARRAY(sa.Text), nullable=False))
    segments: list[str] = Field(default_factory=list, sa_column=sa.Column(ARRAY(sa.Text), nullable=False))
    capacity: int | None = None
    time_zone: str = "UTC"
    work_start: str = "00:00"
    work_end: str = "24:00"
    work_days: list[int] = Field(default_factory=list, sa_column=sa.Column(ARRAY(sa.Integer), nullable=False))
    out_of_office_from: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    out_of_office_until: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    active: bool = True
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_by: str | None = None


class Pool(MatcherTable, table=True):
    """Reps who share a team's work in a territory, with weights (`shared.events.teams.PoolFields`)."""

    __tablename__ = "pools"
    pool_id: str = Field(primary_key=True)
    name: str
    team: str = Field(index=True)
    countries: list[str] = Field(default_factory=list, sa_column=sa.Column(ARRAY(sa.Text), nullable=False))
    regions: list[str] = Field(default_factory=list, sa_column=sa.Column(ARRAY(sa.Text), nullable=False))
    segments: list[str] = Field(default_factory=list, sa_column=sa.Column(ARRAY(sa.Text), nullable=False))
    members: list[dict[str, Any]] = Field(sa_column=sa.Column(JSONB, nullable=False))
    sticky: bool = False
    turn: int = 1
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_by: str | None = None


class AccountOpp(MatcherTable, table=True):
    """An account's opportunity as opp events describe it: open until a closed stage."""

    __tablename__ = "account_opps"
    opp_id: str = Field(primary_key=True)
    account_id: str = Field(index=True)
    stage: str
    open: bool
    version: int = 0
