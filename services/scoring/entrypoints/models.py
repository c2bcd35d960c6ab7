"""What scoring's routes accept and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class Factor(BaseModel):
    column: str
    effect: float = Field(description="likelihood points this value adds (or takes) against not knowing it")


class Predicted(BaseModel):
    likelihood: float = Field(description="0-100: the chance this person becomes an opportunity")
    model_auc: float
    top_factors: list[Factor]


class ScoreOut(BaseModel):
    person_id: str
    lead_id: str
    contact_id: str | None
    account_id: str | None
    score: float = Field(description="fit + negative + behaviour, behaviour decayed to `as_of`")
    fit: float
    negative: float
    behaviour: float
    lifecycle_stage: str
    reasons: list[dict[str, Any]]
    model_version: str
    as_of: datetime
    last_emitted_score: float | None
    last_engaged_at: datetime | None
    predicted: Predicted | None = None


class StageIn(BaseModel):
    stage: Literal["sal", "sql", "nurture"] = Field(description="nurture recycles the person, with a reason")
    reason: str | None = Field(None, max_length=500)


class ChangeOut(BaseModel):
    from_stage: str
    to_stage: str
    at: datetime
    actor: str
    reason: str


class LifecycleOut(BaseModel):
    person_id: str
    lifecycle_stage: str
    history: list[ChangeOut]


class MemberOut(BaseModel):
    contact_id: str
    roles: list[str]
    engagement: float
    score: float
    last_engaged_at: datetime | None
    engaged: bool
    confirmed: bool = True


class GroupEngagementOut(BaseModel):
    """The committee (confirmed members) and its engagement; potential members apart."""

    opp_id: str | None = None
    account_id: str
    members: list[MemberOut]
    potential: list[MemberOut] = Field(
        default=[], description="mapped by automation, not confirmed: who is engaged and could be confirmed"
    )
    total_engagement: float
    average_engagement: float
    engaged: list[str]
    not_engaged: list[str]
    engaged_within_days: float
    roles_covered: list[str]
    roles_not_covered: list[str]
