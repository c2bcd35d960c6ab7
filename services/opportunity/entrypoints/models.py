"""What the opportunity API accepts and returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

OppTypeIn = Literal["acquisition", "renewal", "upsell", "cross_sell"]


class ContactRoleOut(BaseModel):
    contact_id: str
    role: str
    primary: bool
    added_at: datetime


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


class OpportunityOut(BaseModel):
    opp_id: str
    account_id: str
    type: str
    stage: str
    amount: float | None
    close_date: date | None
    term_months: int | None
    owner: str | None
    next_step: str | None
    next_step_owner: str | None
    next_step_due: date | None
    created_by: str
    source_opp_id: str | None = None
    closed_at: datetime | None
    stage_entered_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int
    contact_roles: list[ContactRoleOut] = []
    stamps: dict[str, datetime] = {}
    history: list[StageMoveOut] = []
    sla: SlaOut | None = None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpportunityIn(_Strict):
    """From an account (`account_id`) or from a contact (`contact_id`: its account, and it as first OCR)."""

    account_id: str | None = None
    contact_id: str | None = None
    role: str | None = Field(None, description="The contact's role (default: the configured default role).")
    type: OppTypeIn = "acquisition"
    amount: float | None = Field(None, ge=0)
    close_date: date | None = None
    term_months: int | None = Field(None, ge=1, le=120)
    owner: str | None = None
    next_step: str | None = None
    next_step_owner: str | None = None
    next_step_due: date | None = None
    actor: str = Field("api", min_length=1, description="Who creates it (a person); kept as created_by.")


class OpportunityPatch(_Strict):
    amount: float | None = Field(None, ge=0)
    close_date: date | None = None
    term_months: int | None = Field(None, ge=1, le=120)
    owner: str | None = None
    next_step: str | None = None
    next_step_owner: str | None = None
    next_step_due: date | None = None


class StageMoveIn(_Strict):
    stage: str = Field(min_length=1)
    actor: str = Field("api", min_length=1, description="Who moves it (a person).")


class StageMoveResult(BaseModel):
    kind: Literal["forward", "skip", "backward", "close"]
    from_stage: str
    to_stage: str
    skipped: list[str]
    opportunity: OpportunityOut


class ContactRoleIn(_Strict):
    contact_id: str = Field(min_length=1)
    role: str = Field(min_length=1)
    primary: bool | None = Field(None, description="Omit to keep the flag (a first member becomes primary).")
    actor: str = Field("api", min_length=1)


class ContactRoleChangeOut(BaseModel):
    contact_id: str
    role: str
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
    role: str
    primary: bool
