"""Opportunity's tables (schema `opportunity`), with local copies of accounts and contacts."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.tables import utc_column, utcnow


class OpportunityTable(SQLModel, registry=registry()):
    pass


class AccountCopy(OpportunityTable, table=True):
    __tablename__ = "accounts"
    account_id: str = Field(primary_key=True)
    name: str
    owner: str | None = None
    csm: str | None = None
    is_customer: bool = False
    version: int = 0


class ContactCopy(OpportunityTable, table=True):
    __tablename__ = "contacts"
    contact_id: str = Field(primary_key=True)
    account_id: str = Field(index=True)
    email: str
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None


class Opportunity(OpportunityTable, table=True):
    __tablename__ = "opportunities"
    opp_id: str = Field(primary_key=True)
    account_id: str = Field(index=True)
    type: str
    stage: str
    amount: float | None = None
    close_date: date | None = None
    term_months: int | None = None
    owner: str | None = None
    next_step: str | None = None
    next_step_owner: str | None = None
    next_step_due: date | None = None
    created_by: str
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class StageStamp(OpportunityTable, table=True):
    """The first time an opp entered a stage."""

    __tablename__ = "stage_stamps"
    opp_id: str = Field(primary_key=True)
    stage: str = Field(primary_key=True)
    entered_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class StageMove(OpportunityTable, table=True):
    __tablename__ = "stage_history"
    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    opp_id: str = Field(index=True)
    from_stage: str | None = None
    to_stage: str
    at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    actor: str


class ContactRole(OpportunityTable, table=True):
    __tablename__ = "contact_roles"
    opp_id: str = Field(primary_key=True)
    contact_id: str = Field(primary_key=True, index=True)
    role: str
    is_primary: bool = False
    added_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class ContactRoleChange(OpportunityTable, table=True):
    """The buying group's history: every add, role change and removal."""

    __tablename__ = "contact_role_history"
    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    opp_id: str = Field(index=True)
    contact_id: str
    role: str
    change: str
    actor: str
    at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
