"""Events about campaigns: a campaign record created or changed (attribution owns them)."""

from __future__ import annotations

from datetime import date

from shared.events.base import Event


class CampaignFields(Event):
    campaign_id: str
    name: str
    channel: str | None = None
    program: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    cost: float | None = None
    external_id: str | None = None
    source: str | None = None
    created_by: str | None = None  # who made it: a caller's key name, or the engagement's source

    def key(self) -> str:
        return self.campaign_id


class CampaignCreated(CampaignFields):
    TYPE = "campaign.created"


class CampaignUpdated(CampaignFields):
    """The campaign as it is now, and the names of the fields that changed."""

    TYPE = "campaign.updated"
    changed: list[str] = []
