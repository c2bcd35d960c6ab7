"""What the opportunity API returns."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


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
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    contact_roles: list[ContactRoleOut] = []
    stamps: dict[str, datetime] = {}
    history: list[StageMoveOut] = []
