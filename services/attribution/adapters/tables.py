"""Attribution's tables (schema `attribution`), as migration 0001 creates them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.tables import utc_column


class AttributionTable(SQLModel, registry=registry()):
    pass


def _seq() -> Any:
    return Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))


class Campaign(AttributionTable, table=True):
    __tablename__ = "campaigns"
    campaign_id: str = Field(primary_key=True)
    name: str
    name_key: str = Field(unique=True)  # the name regardless of case and spacing
    channel: str | None = None
    program: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    cost: float | None = None
    external_id: str | None = None
    source: str | None = None
    created_by: str
    version: int
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())


class Person(AttributionTable, table=True):
    """A lead, the contact it converted to and its account; an erased one keeps only its ids."""

    __tablename__ = "people"
    lead_id: str = Field(primary_key=True)
    contact_id: str | None = Field(default=None, index=True)
    account_id: str | None = Field(default=None, index=True)
    lead_created_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    original_campaign_id: str | None = None
    erased: bool = False


class Touch(AttributionTable, table=True):
    __tablename__ = "touches"
    touch_id: str = Field(primary_key=True)  # the engagement's id
    lead_id: str
    campaign_id: str = Field(index=True)
    kind: str
    occurred_at: datetime = Field(sa_column=utc_column())


class Opp(AttributionTable, table=True):
    """An opp's identity; its amount, stage and members live in their histories."""

    __tablename__ = "opps"
    opp_id: str = Field(primary_key=True)
    account_id: str = Field(index=True)
    type: str
    created_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class OppAmount(AttributionTable, table=True):
    __tablename__ = "opp_amounts"
    seq: int | None = _seq()
    opp_id: str
    at: datetime = Field(sa_column=utc_column())
    amount_cents: int | None = None


class OppStage(AttributionTable, table=True):
    __tablename__ = "opp_stages"
    seq: int | None = _seq()
    opp_id: str
    at: datetime = Field(sa_column=utc_column())
    stage: str


class Membership(AttributionTable, table=True):
    """A contact's state in an opp's buying group from `valid_from` until `valid_to` (open: now)."""

    __tablename__ = "memberships"
    seq: int | None = _seq()
    opp_id: str = Field(index=True)
    contact_id: str
    status: str
    role: str | None = None
    valid_from: datetime = Field(sa_column=utc_column())
    valid_to: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class Credit(AttributionTable, table=True):
    """What one campaign gets of one opp now, per model in cents, with the opp's facts the
    influence report filters and sums on (so the report reads this table alone)."""

    __tablename__ = "credits"
    opp_id: str = Field(primary_key=True)
    campaign_id: str = Field(primary_key=True)
    opp_type: str
    opp_created_at: datetime = Field(sa_column=utc_column())
    is_won: bool
    amount_cents: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    touches: int
    sourced: bool
    first_touch: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    last_touch: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    linear: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    u_shaped: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    w_shaped: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    full_path: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    time_decay: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
