"""Every event of ARCHITECTURE.md as a frozen, versioned pydantic payload.

One topic per event type; the Kafka key is `key()`, the aggregate's id. Consumers ignore
unknown fields, so adding an optional field is compatible; anything else bumps VERSION.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CATALOG",
    "AccountCreated",
    "AccountUpdated",
    "EngagementRecorded",
    "Event",
    "LeadConverted",
    "LeadCreated",
    "LeadRejected",
    "LeadReviewRequested",
    "LeadScored",
    "LeadUpdated",
    "MatchCandidate",
    "OppContactRoleChanged",
    "OppCreated",
    "OppSlaBreached",
    "OppStageChanged",
    "ScoreReason",
]


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def key(self) -> str:
        raise NotImplementedError

    @classmethod
    def dataschema(cls) -> str:
        return f"urn:cascade:event:{cls.TYPE}:v{cls.VERSION}"


class LeadFields(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    email: str
    email_domain: str
    is_free_mail: bool = False
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    phone: str | None = None
    company: str | None = None
    website: str | None = None
    website_domain: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: int | None = None
    campaign: str | None = None
    seniority: str | None = None
    department: str | None = None
    company_legal_suffix: str | None = None
    unsubscribed: bool | None = None
    marketing_consent: bool | None = None


class LeadCreated(Event, LeadFields):
    TYPE = "lead.created"
    lead_id: str
    source: str
    source_id: str | None = None

    def key(self) -> str:
        return self.lead_id


class LeadUpdated(Event):
    TYPE = "lead.updated"
    lead_id: str
    email: str
    changed: dict[str, Any]

    def key(self) -> str:
        return self.lead_id


EngagementKind = Literal[
    "form_submit",
    "email_open",
    "email_click",
    "page_view",
    "download",
    "webinar_registered",
    "webinar_attended",
    "meeting",
    "call",
    "unsubscribe",
]


class EngagementRecorded(Event):
    TYPE = "engagement.recorded"
    engagement_id: str
    lead_id: str
    email: str
    kind: EngagementKind
    occurred_at: datetime
    campaign: str | None = None
    url: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)

    def key(self) -> str:
        return self.lead_id


class AccountFields(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    account_id: str
    name: str
    domains: list[str] = Field(default_factory=list)
    website: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: int | None = None
    parent_id: str | None = None
    owner: str | None = None
    csm: str | None = None
    is_customer: bool = False


class AccountCreated(Event, AccountFields):
    TYPE = "account.created"

    def key(self) -> str:
        return self.account_id


class AccountUpdated(Event, AccountFields):
    TYPE = "account.updated"

    def key(self) -> str:
        return self.account_id


class LeadConverted(Event):
    TYPE = "lead.converted"
    lead_id: str
    contact_id: str
    account_id: str
    account_created: bool
    method: str
    confidence: float
    explanation: str
    owner: str | None = None
    email: str
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    owner_reason: str | None = None  # why this owner: the account's, or a territory pool's turn
    resolved_by: str | None = None  # who picked the account in the review queue, if a person did

    def key(self) -> str:
        return self.lead_id


class MatchCandidate(BaseModel):
    model_config = ConfigDict(frozen=True)
    account_id: str
    name: str
    score: float
    method: str


class LeadReviewRequested(Event):
    TYPE = "lead.review_requested"
    lead_id: str
    candidates: list[MatchCandidate]
    reason: str

    def key(self) -> str:
        return self.lead_id


class LeadRejected(Event):
    TYPE = "lead.rejected"
    lead_id: str
    reason: str
    rejected_by: str

    def key(self) -> str:
        return self.lead_id


class ScoreReason(BaseModel):
    model_config = ConfigDict(frozen=True)
    rule: str
    points: float
    at: datetime | None = None
    kind: str | None = None  # fit, negative or behaviour


class LeadScored(Event):
    TYPE = "lead.scored"
    person_id: str
    lead_id: str
    contact_id: str | None = None
    account_id: str | None = None
    score: float
    fit: float
    behaviour: float
    previous_score: float | None = None
    lifecycle_stage: str
    reasons: list[ScoreReason]
    negative: float | None = None
    model_version: str | None = None
    # Set when this score comes with a lifecycle change: from where, when, who or which rule, why.
    previous_lifecycle_stage: str | None = None
    lifecycle_changed_at: datetime | None = None
    lifecycle_actor: str | None = None
    lifecycle_reason: str | None = None

    def key(self) -> str:
        return self.person_id


OppType = Literal["acquisition", "renewal", "upsell", "cross_sell"]


class OppCreated(Event):
    TYPE = "opp.created"
    opp_id: str
    account_id: str
    type: OppType
    stage: str
    amount: float | None = None
    close_date: date | None = None
    owner: str | None = None
    created_by: str
    source_opp_id: str | None = None  # the won opp a renewal or expansion opp came from

    def key(self) -> str:
        return self.opp_id


class OppStageChanged(Event):
    TYPE = "opp.stage_changed"
    opp_id: str
    account_id: str
    type: OppType
    from_stage: str | None
    to_stage: str
    at: datetime
    actor: str
    kind: Literal["created", "forward", "skip", "backward", "close"] | None = None
    skipped: list[str] = Field(default_factory=list)  # stages passed through (their gates held)

    def key(self) -> str:
        return self.opp_id


class OppContactRoleChanged(Event):
    TYPE = "opp.contact_role_changed"
    opp_id: str
    account_id: str
    contact_id: str
    role: str
    primary: bool = False
    change: Literal["added", "changed", "removed"]

    def key(self) -> str:
        return self.opp_id


class OppSlaBreached(Event):
    TYPE = "opp.sla_breached"
    opp_id: str
    stage: str
    sla_hours: float
    overdue_by_seconds: float
    account_id: str | None = None
    type: OppType | None = None
    stage_entered_at: datetime | None = None
    owner: str | None = None

    def key(self) -> str:
        return self.opp_id


CATALOG: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        LeadCreated,
        LeadUpdated,
        EngagementRecorded,
        AccountCreated,
        AccountUpdated,
        LeadConverted,
        LeadReviewRequested,
        LeadRejected,
        LeadScored,
        OppCreated,
        OppStageChanged,
        OppContactRoleChanged,
        OppSlaBreached,
    )
}
