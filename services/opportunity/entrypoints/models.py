"""What the opportunity API accepts and returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OppTypeIn = Literal["acquisition", "renewal", "upsell", "cross_sell"]


class ContactRoleOut(BaseModel):
    """A member of the buying group: potential (mapped by automation, no role yet) or confirmed."""

    contact_id: str
    role: str | None
    status: Literal["potential", "confirmed"]
    suggested_role: str | None = None
    suggested_reason: str | None = None
    primary: bool
    added_by: str | None = None
    added_at: datetime
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None


class StageTimeOut(BaseModel):
    first_entered: datetime
    last_entered: datetime
    last_exited: datetime | None
    entries: int
    seconds: float = Field(description="cumulative time in the stage (re-entries add up), to now if in it")


class FieldChangeOut(BaseModel):
    field: str
    previous: Any
    value: Any
    actor: str
    at: datetime


class StageMoveOut(BaseModel):
    from_stage: str | None
    to_stage: str
    at: datetime
    actor: str


class SlaOut(BaseModel):
    state: Literal["none", "ok", "breached"]
    sla_hours: float | None
    due_at: datetime | None
    overdue_by_seconds: float
    breached_at: datetime | None = None  # when the scan recorded (and emitted) the breach
    escalated_at: datetime | None = None  # when the breach, still unanswered, was escalated


class HandoffOut(BaseModel):
    """A handshake: who was handed the stage, by which rule and pool turn, why; and what became
    of it (accepted, escalated, reassigned with the reason, closed when the opp moved on)."""

    handoff_id: str
    stage: str
    team: str
    owner: str | None
    rule: str
    reason: str
    pool_id: str | None
    turn: int | None
    status: str
    assigned_at: datetime
    due_at: datetime | None
    accepted_at: datetime | None
    accepted_by: str | None
    escalated_at: datetime | None
    closed_at: datetime | None
    closed_reason: str | None


class RoutesOut(BaseModel):
    contact_id: str
    current: HandoffOut | None = Field(description="the route open or accepted now, if any")
    routes: list[HandoffOut] = Field(description="every route decision, oldest first (`stage` is the route)")


class OpportunityOut(BaseModel):
    opp_id: str
    account_id: str
    type: str
    stage: str
    amount: float | None
    close_date: date | None
    term_months: int | None
    owner: str | None
    stage_owner: str | None = Field(None, description="who owns the current stage: a rep id")
    next_step: str | None
    next_step_owner: str | None
    next_step_due: date | None
    created_by: str
    source_opp_id: str | None = None
    buying_group_key: str | None = None
    closed_at: datetime | None
    stage_entered_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int
    contact_roles: list[ContactRoleOut] = []
    stamps: dict[str, datetime] = {}
    stages: dict[str, StageTimeOut] = Field(
        default={}, description="per stage: entries, exits, cumulative time"
    )
    history: list[StageMoveOut] = []
    changes: list[FieldChangeOut] = Field(default=[], description="every change to the opp's fields")
    handoffs: list[HandoffOut] = Field(default=[], description="every handshake of the opp, oldest first")
    handoff: HandoffOut | None = Field(None, description="the handshake in force: open or accepted")
    sla: SlaOut | None = None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Id = Annotated[str, Field(min_length=1, max_length=255)]
Text = Annotated[str, Field(max_length=1000)]
Money = Annotated[float, Field(ge=0, le=1e13)]


class OpportunityIn(_Strict):
    """From an account (`account_id`) or from a contact (`contact_id`: its account, and it as first OCR)."""

    account_id: Id | None = None
    contact_id: Id | None = None
    role: str | None = Field(
        None, max_length=100, description="The contact confirmed with this role; potential without one."
    )
    type: OppTypeIn = "acquisition"
    amount: Money | None = None
    close_date: date | None = None
    term_months: int | None = Field(None, ge=1, le=120)
    owner: Id | None = None
    next_step: Text | None = None
    next_step_owner: Id | None = None
    next_step_due: date | None = None
    buying_group_key: str | None = Field(
        None, max_length=100, description="The product line or business unit of its buying group."
    )


class OpportunityPatch(_Strict):
    amount: Money | None = None
    close_date: date | None = None
    term_months: int | None = Field(None, ge=1, le=120)
    owner: Id | None = None
    next_step: Text | None = None
    next_step_owner: Id | None = None
    next_step_due: date | None = None


class StageMoveIn(_Strict):
    """At a boundary between teams the handoff sets the stage owner, next step, its owner and due
    date; what the mover gives here wins."""

    stage: str = Field(min_length=1, max_length=100)
    stage_owner: Id | None = None
    next_step: Text | None = None
    next_step_owner: Id | None = None
    next_step_due: date | None = None


class StageMoveResult(BaseModel):
    kind: Literal["forward", "skip", "backward", "close"]
    from_stage: str
    to_stage: str
    skipped: list[str]
    opportunity: OpportunityOut


class ContactRoleIn(_Strict):
    """Confirms the contact with this role (adding it to the buying group if need be)."""

    contact_id: str = Field(min_length=1, max_length=255)
    role: str = Field(min_length=1, max_length=100)
    primary: bool | None = Field(None, description="Omit to keep the flag (a first member becomes primary).")


class PersonIn(_Strict):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    first_name: str | None = Field(None, max_length=255)
    last_name: str | None = Field(None, max_length=255)
    title: str | None = Field(None, max_length=255)
    role: str | None = Field(None, max_length=100, description="Confirmed with this role; potential without.")


class PersonOutcomeOut(BaseModel):
    email: str
    outcome: Literal["added", "pending", "refused"] = Field(
        description="added: a contact of the account, on the opp now; pending: becomes a lead and joins"
        " when it converts onto the account; refused: see reason"
    )
    contact_id: str | None = None
    reason: str | None = None


class ContactRoleChangeOut(BaseModel):
    contact_id: str
    role: str | None
    status: str
    suggested_role: str | None
    change: str
    primary: bool
    actor: str
    at: datetime


class ContactRoleResult(BaseModel):
    change: Literal["added", "changed", "removed"] | None
    contact_roles: list[ContactRoleOut]


class ContactOpportunityOut(BaseModel):
    opp_id: str
    account_id: str
    type: str
    stage: str
    role: str | None
    status: str
    primary: bool
