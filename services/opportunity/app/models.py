"""The opportunity service's records: opps with their stage stamps, buying-group members, the
history of both, SLA breaches, and the local copies of accounts and contacts it keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel

Change = Literal["added", "changed", "removed"]


class Opportunity(BaseModel):
    """Mutable on purpose: a move changes several fields at once and the caller saves it."""

    opp_id: str
    account_id: str
    type: str
    stage: str
    amount: float | None = None
    close_date: date | None = None
    term_months: int | None = None
    owner: str | None = None
    stage_owner: str | None = None  # who owns the current stage: a rep id
    next_step: str | None = None
    next_step_owner: str | None = None
    next_step_due: date | None = None
    created_by: str
    source_opp_id: str | None = None  # the won opp a renewal or expansion opp came from
    buying_group_key: str | None = None  # the product line or business unit of its buying group
    closed_at: datetime | None = None
    stage_entered_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int = 1
    stamps: dict[str, datetime] = {}  # stage -> when the opp first entered it


Status = Literal["potential", "confirmed"]


class Member(BaseModel):
    """A contact in an opp's buying group. Automation adds `potential` members (no role, maybe a
    suggested one); a person confirms one with a role: an opportunity contact role."""

    opp_id: str
    contact_id: str
    role: str | None = None
    status: Status = "confirmed"
    suggested_role: str | None = None
    suggested_reason: str | None = None
    is_primary: bool = False
    added_by: str | None = None
    added_at: datetime
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"


class StageMove(BaseModel):
    opp_id: str
    from_stage: str | None
    to_stage: str
    at: datetime
    actor: str


class RoleChange(BaseModel):
    opp_id: str
    contact_id: str
    role: str | None
    status: Status = "confirmed"
    suggested_role: str | None = None
    change: Change
    is_primary: bool
    actor: str
    at: datetime


class Breach(BaseModel):
    """A stay in a stage (opp, stage, entered at) that outlived its SLA; recorded once."""

    opp_id: str
    stage: str
    stage_entered_at: datetime
    sla_hours: float
    overdue_by_seconds: float
    breached_at: datetime
    escalated_at: datetime | None = None
    account_id: str | None = None
    type: str | None = None
    owner: str | None = None
    stage_owner: str | None = None


class AccountCopy(BaseModel):
    account_id: str
    name: str
    owner: str | None = None
    csm: str | None = None
    is_customer: bool = False
    country: str | None = None
    employees: int | None = None
    version: int = 0


HandoffStatus = Literal["open", "accepted", "reassigned", "closed"]


class Handoff(BaseModel):
    """Work handed to a person, with the decision that chose them (rule, reason, pool turn): an
    opp entering a stage of another team (`stage`), or a routed lead (`lead`: `stage` is its
    route). Open until accepted, reassigned, or the work moves on (closed)."""

    handoff_id: str
    kind: Literal["stage", "lead"]
    opp_id: str | None = None
    contact_id: str | None = None
    account_id: str
    stage: str
    team: str
    owner: str | None
    pool_id: str | None = None
    turn: int | None = None
    rule: str
    reason: str
    status: HandoffStatus = "open"
    assigned_at: datetime
    due_at: datetime | None = None
    accepted_at: datetime | None = None
    accepted_by: str | None = None
    escalated_at: datetime | None = None
    closed_at: datetime | None = None
    closed_reason: str | None = None


class ContactCopy(BaseModel):
    contact_id: str
    account_id: str
    email: str
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None


class FieldChange(BaseModel):
    opp_id: str
    field: str
    previous: Any = None
    value: Any = None
    actor: str
    at: datetime


class IdentifiedPerson(BaseModel):
    opp_id: str
    email: str
    role: str | None = None
    identified_by: str
    identified_at: datetime
    status: Literal["pending", "added", "refused"] = "pending"
    reason: str | None = None
    contact_id: str | None = None


@dataclass(frozen=True)
class OppFilter:
    account_id: str | None = None
    type: str | None = None
    stage: str | None = None
    owner: str | None = None
    is_open: bool | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class Cohort:
    """Opps of one type created in [start, end)."""

    type: str
    start: date | None = None
    end: date | None = None
