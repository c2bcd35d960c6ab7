"""Campaigns: what a campaign record holds, and how an engagement's campaign finds its record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Name = Annotated[str, Field(min_length=1, max_length=255)]
Text = Annotated[str, Field(min_length=1, max_length=255)]
Cost = Annotated[float, Field(ge=0, le=1e12)]
CHANNELS = ("email", "webinar", "event", "paid", "content", "web", "outbound", "social", "partner", "other")
# Sources whose bare campaign value is the platform's own id (HubSpot's campaign guid, a
# Salesforce Campaign Id); everywhere else it is the campaign's name.
ID_SOURCES = frozenset({"hubspot", "salesforce"})


class CampaignFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    channel: Text | None = Field(None, description=f"One of {', '.join(CHANNELS)} (or your own word).")
    program: Text | None = Field(None, description="The program or parent campaign.")
    start_date: date | None = None
    end_date: date | None = None
    cost: Cost | None = Field(None, description="What the campaign cost, in the amounts' currency.")
    external_id: Text | None = Field(None, description="The platform's own id for it.")
    source: Text | None = Field(None, description="The platform: hubspot, marketo, mautic, salesforce...")

    @model_validator(mode="after")
    def _ordered(self) -> CampaignFields:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class CampaignIn(CampaignFields):
    name: Name


class CampaignPatch(CampaignFields):
    name: Name | None = None


@dataclass(frozen=True)
class Reference:
    """What an engagement (or a lead) says of its campaign: an id, a name, or both."""

    source: str | None
    external_id: str | None
    name: str | None

    @property
    def display_name(self) -> str:
        return self.name or f"{self.source or 'campaign'} {self.external_id}"


def reference(
    source: str | None, campaign: str | None, external_id: str | None = None, name: str | None = None
) -> Reference | None:
    """An engagement's campaign fields as a reference; None when it names no campaign."""
    campaign = (campaign or "").strip() or None
    external_id = (external_id or "").strip() or None
    name = (name or "").strip() or None
    if campaign is not None:
        if source in ID_SOURCES and external_id is None:
            external_id = campaign
        elif name is None and campaign != external_id:
            name = campaign
    if external_id is None and name is None:
        return None
    return Reference(source, external_id, name[:255] if name else None)


def name_key(name: str) -> str:
    """Campaign names are unique regardless of case and spacing."""
    return " ".join(name.split()).casefold()
