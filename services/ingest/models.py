"""What ingest's API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from services.ingest.domain.normalise import storable
from shared.events.catalog import EngagementKind

Short = Annotated[str, Field(max_length=255)]


class Storable(BaseModel):
    """Input whose text PostgreSQL can keep (no NUL characters, no lone surrogates)."""

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: object) -> object:
        return storable(data)


class LeadIn(Storable):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    email: Annotated[str, Field(min_length=3, max_length=320)]
    first_name: Short | None = None
    last_name: Short | None = None
    title: Short | None = None
    phone: Annotated[str, Field(max_length=64)] | None = None
    company: Short | None = None
    website: Annotated[str, Field(max_length=2048)] | None = None
    country: Annotated[str, Field(max_length=64)] | None = None
    industry: Short | None = None
    employees: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    source: Annotated[str, Field(max_length=64)] = "api"
    source_id: Short | None = None
    campaign: Short | None = None
    unsubscribed: bool | None = Field(None, description="Opted out of marketing email.")
    marketing_consent: bool | None = Field(None, description="Gave consent to marketing (GDPR basis).")


class LeadAccepted(BaseModel):
    lead_id: str
    status: Literal["created", "updated", "unchanged"]


class LeadOut(BaseModel):
    lead_id: str
    email: str
    email_domain: str
    is_free_mail: bool
    first_name: str | None
    last_name: str | None
    title: str | None
    phone: str | None
    company: str | None
    website: str | None
    website_domain: str | None
    country: str | None
    industry: str | None
    employees: int | None
    seniority: str | None
    department: str | None
    company_legal_suffix: str | None
    unsubscribed: bool | None
    marketing_consent: bool | None
    source: str
    source_id: str | None
    campaign: str | None
    status: str
    account_id: str | None
    contact_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class EngagementIn(Storable):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    engagement_id: Short | None = Field(None, description="Your id for it; a repeat is ignored.")
    email: Annotated[str, Field(min_length=3, max_length=320)] | None = None
    lead_id: Short | None = None
    kind: EngagementKind
    occurred_at: datetime | None = None
    campaign: Short | None = None
    url: Annotated[str, Field(max_length=2048)] | None = None
    properties: dict[str, JsonValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _person_given(self) -> EngagementIn:
        if not self.email and not self.lead_id:
            raise ValueError("give the person's email or lead_id")
        return self


class EngagementAccepted(BaseModel):
    engagement_id: str
    lead_id: str
    status: Literal["recorded", "duplicate"]


class ItemOutcome(BaseModel):
    """What became of one item of a webhook delivery."""

    index: int
    outcome: Literal["accepted", "duplicate", "rejected"]
    item_id: str | None = Field(None, description="The source's id for the item, when it gives one.")
    lead_id: str | None = None
    status: str | None = Field(None, description="created | updated | unchanged | recorded | ignored")
    reason: str | None = None
    field: str | None = None
    quarantine_id: str | None = None


class WebhookAnswer(BaseModel):
    source: str
    delivery_id: str
    accepted: int
    duplicates: int
    rejected: int
    items: list[ItemOutcome]


class QuarantinedOut(BaseModel):
    quarantine_id: str
    source: str
    delivery_id: str | None
    item_key: str | None
    payload: dict[str, JsonValue]
    reason: str
    field: str | None
    status: str
    lead_id: str | None
    resubmitted_payload: dict[str, JsonValue] | None = Field(
        None, description="The corrected item, if one was sent."
    )
    created_at: datetime
    resolved_at: datetime | None


class Resubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payload: dict[str, JsonValue] | None = Field(
        None, description="The corrected item in the source's own shape; omitted = the stored one again."
    )
