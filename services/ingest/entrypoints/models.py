"""What ingest's routes answer beyond the use cases' own results."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class LeadAccepted(BaseModel):
    lead_id: str
    status: Literal["created", "updated", "unchanged"]


class EngagementAccepted(BaseModel):
    engagement_id: str
    lead_id: str
    status: Literal["recorded", "duplicate"]


class Resubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payload: dict[str, JsonValue] | None = Field(
        None, description="The corrected item in the source's own shape; omitted = the stored one again."
    )
