"""Opportunity's tables (schema `opportunity`), with local copies of accounts and contacts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.opportunity.domain.pipelines import STAMPED_STAGES
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
    country: str | None = None
    employees: int | None = None
    version: int = 0


class RepCopy(OpportunityTable, table=True):
    """A rep as the matcher's `rep.updated` last described them (`RepFields`)."""

    __tablename__ = "reps"
    rep_id: str = Field(primary_key=True)
    team: str
    fields: dict[str, Any] = Field(sa_column=sa.Column(JSONB, nullable=False))
    version: int = 0


class PoolCopy(OpportunityTable, table=True):
    """A pool as the matcher's `pool.updated` last described it (`PoolFields`)."""

    __tablename__ = "pools"
    pool_id: str = Field(primary_key=True)
    team: str = Field(index=True)
    fields: dict[str, Any] = Field(sa_column=sa.Column(JSONB, nullable=False))
    version: int = 0


class Handoff(OpportunityTable, table=True):
    """Work handed to a person: an opp entering a stage of another team, or a routed lead; open
    until accepted, reassigned or the opp moves on. Its pool turn counts the round-robin."""

    __tablename__ = "handoffs"
    __table_args__ = (
        sa.Index("handoffs_open_due", "due_at", postgresql_where=sa.text("status = 'open'")),
        sa.Index("handoffs_pool_turn", "pool_id", "turn"),
    )
    handoff_id: str = Field(primary_key=True)
    kind: str  # stage | lead
    opp_id: str | None = Field(default=None, index=True)
    contact_id: str | None = Field(default=None, index=True)
    account_id: str = Field(index=True)
    stage: str  # the opp's stage, or the lead's route
    team: str
    owner: str | None = None
    pool_id: str | None = None
    turn: int | None = None
    rule: str
    reason: str
    status: str = "open"  # open | accepted | reassigned | closed
    assigned_at: datetime = Field(sa_column=utc_column())
    due_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    accepted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    accepted_by: str | None = None
    escalated_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    closed_reason: str | None = None


class ContactCopy(OpportunityTable, table=True):
    __tablename__ = "contacts"
    contact_id: str = Field(primary_key=True)
    account_id: str = Field(index=True)
    email: str
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None


class ContactScore(OpportunityTable, table=True):
    """The latest lead.scored of a contact (it may arrive before the contact's lead.converted)."""

    __tablename__ = "contact_scores"
    contact_id: str = Field(primary_key=True)
    score: float
    version: int = 0


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
    stage_owner: str | None = Field(default=None, index=True)
    next_step: str | None = None
    next_step_owner: str | None = None
    next_step_due: date | None = None
    created_by: str
    source_opp_id: str | None = None  # the won opp a renewal or expansion opp came from
    buying_group_key: str | None = None
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    stage_entered_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    # Stage stamps: when the opp first entered each stage (STAMPED_STAGES; migration 0002).
    entered_target: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    entered_active: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    entered_engaged: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    entered_prioritized: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    entered_qualified: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    entered_pipeline: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    entered_upcoming: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    entered_negotiation: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    entered_identified: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    entered_proposal: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    entered_closed_won: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    entered_closed_lost: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))

    def entered_stages(self) -> dict[str, datetime]:
        return {
            stage: at for stage in STAMPED_STAGES if (at := getattr(self, f"entered_{stage}")) is not None
        }


class StageMove(OpportunityTable, table=True):
    __tablename__ = "stage_history"
    __table_args__ = (sa.Index("stage_history_opp_order", "opp_id", "id"),)
    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    opp_id: str
    from_stage: str | None = None
    to_stage: str
    at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    actor: str


class StageTime(OpportunityTable, table=True):
    """An opp's ended stays in a stage: how many, and their seconds (and days). Kept by each
    recorded move (the stay it ends), so velocity reads it instead of every opp's whole history;
    the opp's type and creation time are copied to pick a cohort."""

    __tablename__ = "stage_times"
    opp_id: str = Field(primary_key=True)
    stage: str = Field(primary_key=True)
    type: str
    created_at: datetime = Field(sa_column=utc_column())
    exits: int
    seconds: Decimal = Field(sa_column=sa.Column(sa.Numeric, nullable=False))
    days: float = Field(
        sa_column=sa.Column(
            sa.Float, sa.Computed("CAST(seconds / 86400.0 AS float8)", persisted=True), nullable=False
        )
    )


class ContactRole(OpportunityTable, table=True):
    __tablename__ = "contact_roles"
    opp_id: str = Field(primary_key=True)
    contact_id: str = Field(primary_key=True, index=True)
    role: str | None = None
    status: str = "confirmed"
    suggested_role: str | None = None
    suggested_reason: str | None = None
    is_primary: bool = False
    added_by: str | None = None
    added_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    confirmed_by: str | None = None
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class ContactRoleChange(OpportunityTable, table=True):
    """The buying group's history: every add, role change and removal."""

    __tablename__ = "contact_role_history"
    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    opp_id: str = Field(index=True)
    contact_id: str
    role: str | None = None
    status: str = "confirmed"
    suggested_role: str | None = None
    change: str
    is_primary: bool = False
    actor: str
    at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class SlaBreach(OpportunityTable, table=True):
    """One row per breach: a stay in a stage (opp, stage, entered at) breaches at most once."""

    __tablename__ = "sla_breaches"
    __table_args__ = (sa.UniqueConstraint("opp_id", "stage", "stage_entered_at", name="one_breach_per_stay"),)
    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    opp_id: str = Field(index=True)
    stage: str
    stage_entered_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    sla_hours: float
    overdue_by_seconds: float
    breached_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    escalated_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class FieldChange(OpportunityTable, table=True):
    """A change to an opp's field: from what, to what, by whom, when."""

    __tablename__ = "opp_field_changes"
    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    opp_id: str = Field(index=True)
    field: str
    previous: Any = Field(default=None, sa_column=sa.Column(JSONB))
    value: Any = Field(default=None, sa_column=sa.Column(JSONB))
    actor: str
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class IdentifiedPerson(OpportunityTable, table=True):
    """A person someone put on an opp, waiting for its conversion onto the opp's account."""

    __tablename__ = "identified_people"
    opp_id: str = Field(primary_key=True)
    email: str = Field(primary_key=True, index=True)
    role: str | None = None
    identified_by: str
    identified_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    status: str = "pending"  # pending | added | refused
    reason: str | None = None
    contact_id: str | None = None


class LeadContact(OpportunityTable, table=True):
    """Which contact (and account) a lead became: engagement names the lead."""

    __tablename__ = "lead_contacts"
    lead_id: str = Field(primary_key=True)
    contact_id: str
    account_id: str = Field(index=True)


class EngagementCopy(OpportunityTable, table=True):
    """A person's engagement, as far as account engagement needs it: who and when."""

    __tablename__ = "engagements"
    engagement_id: str = Field(primary_key=True)
    lead_id: str = Field(index=True)
    kind: str
    occurred_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
