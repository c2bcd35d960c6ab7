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


class ErasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(..., min_length=3, max_length=320)


class ErasureAccepted(BaseModel):
    erasure_id: str
    lead_ids: list[str] = Field(description="The leads erased here; the other services follow.")
