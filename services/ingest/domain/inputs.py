"""What ingest takes in, whoever sends it (the API, a MAP webhook item, an engagement's person)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

from services.ingest.domain.normalise import storable
from shared.events.catalog import EngagementKind

Short = Annotated[str, Field(max_length=255)]
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
MAX_PROPERTIES_BYTES = 8192


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


# What a source can say about a person: the lead's fields but where it came from.
PERSON_INPUT_FIELDS = tuple(name for name in LeadIn.model_fields if name not in ("source", "source_id"))


class EngagementIn(Storable):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    engagement_id: Short | None = Field(None, description="Your id for it; a repeat is ignored.")
    email: Annotated[str, Field(min_length=3, max_length=320)] | None = None
    lead_id: Short | None = None
    kind: EngagementKind
    occurred_at: datetime | None = None
    campaign: Short | None = Field(None, description="The campaign: its name, or the platform's id.")
    campaign_external_id: Short | None = Field(
        None, description="The platform's id of the campaign, when `campaign` is its name."
    )
    url: Annotated[str, Field(max_length=2048)] | None = None
    properties: dict[str, JsonValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _person_given(self) -> EngagementIn:
        if not self.email and not self.lead_id:
            raise ValueError("give the person's email or lead_id")
        return self

    @field_validator("occurred_at")
    @classmethod
    def _not_in_the_future(cls, at: datetime | None) -> datetime | None:
        """A date far ahead would freeze the person's decay; one before 1970 is a typo."""
        if at is None:
            return None
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        if at > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("is in the future")
        if at < EARLIEST:
            raise ValueError("is before 1970")
        return at

    @field_validator("properties")
    @classmethod
    def _bounded(cls, properties: dict[str, JsonValue]) -> dict[str, JsonValue]:
        size = len(json.dumps(properties, separators=(",", ":")))
        if size > MAX_PROPERTIES_BYTES:
            raise ValueError(f"are {size} bytes of JSON; at most {MAX_PROPERTIES_BYTES}")
        return properties
