"""Attribution's records: campaigns, and the facts of people and opps it keeps copies of."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class Campaign(BaseModel):
    campaign_id: str
    name: str
    channel: str | None = None
    program: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    cost: float | None = None
    external_id: str | None = None
    source: str | None = None
    created_by: str
    version: int = 1
    created_at: datetime
    updated_at: datetime


class LeadFacts(BaseModel):
    """What attribution knows of a member's lead: when it was created, from which campaign."""

    contact_id: str
    lead_created_at: datetime | None = None
    original_campaign_id: str | None = None


class TouchIn(BaseModel):
    touch_id: str
    lead_id: str
    campaign_id: str
    kind: str
    occurred_at: datetime


class OppChange(BaseModel):
    """What an opp event tells of the opp (None: not told); `at` is when it happened."""

    opp_id: str
    account_id: str
    type: str
    at: datetime
    created_at: datetime | None = None
    stage: str | None = None
    amount_cents: int | None = None
    amount_given: bool = False


class MembershipChange(BaseModel):
    opp_id: str
    contact_id: str
    status: str | None  # None: removed
    role: str | None
    at: datetime
