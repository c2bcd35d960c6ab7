"""Events about people: leads, their engagement, conversion, review, scores, identification."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event


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
    # Research-based identification: a person put on an opp by someone, to convert onto its account.
    identified_account_id: str | None = None

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
    campaign: str | None = None  # as the source sent it: a name, or the platform's id
    url: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    # Where it came from, and the campaign's platform id when `campaign` is its name.
    source: str | None = None
    campaign_external_id: str | None = None

    def key(self) -> str:
        return self.lead_id


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
    # What inbound identification reads: the persona (suggested role) and the buying group.
    seniority: str | None = None
    department: str | None = None
    campaign: str | None = None

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


class PersonIdentified(Event):
    """Someone put a person on an opp (research-based identification): ingest records the lead,
    the matcher converts it onto the opp's account, and the opportunity service adds it."""

    TYPE = "person.identified"
    opp_id: str
    account_id: str
    email: str
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    identified_by: str

    def key(self) -> str:
        return self.opp_id


ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never a real address


def erased_email(record_id: str) -> str:
    """The email an erased person's record keeps: unique, and never anyone's."""
    return f"{record_id}@{ERASED_DOMAIN}"


def is_erased(email: str | None) -> bool:
    return bool(email) and str(email).endswith(f"@{ERASED_DOMAIN}")


class PersonErased(Event):
    """A person asked to be erased (GDPR art. 17), through the API or their MAP's privacy deletion:
    every service erases or anonymises what it holds of them. The email's hash, not the email,
    lets ingest recognise the person if a source sends them again."""

    TYPE = "person.erased"
    erasure_id: str
    lead_ids: list[str]
    contact_ids: list[str] = Field(default_factory=list)
    email_hash: str
    requested_by: str

    def key(self) -> str:
        return self.email_hash
