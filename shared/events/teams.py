"""Events about the people who sell and the pools that share work among them, and about the
handshakes between teams: who was handed an opp or a lead, escalations, reassignments."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event

Team = Literal["marketing", "sdr", "sales", "customer_success"]
Segment = Literal["smb", "mid_market", "enterprise"]


class TerritoryFields(BaseModel):
    """Where a rep or a pool works; an empty list places no limit on that axis."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    countries: list[str] = Field(default_factory=list)  # ISO 3166 alpha-2
    regions: list[str] = Field(default_factory=list)  # amer, emea, apac
    segments: list[Segment] = Field(default_factory=list)


class RepFields(TerritoryFields):
    rep_id: str
    name: str
    team: Team
    email: str | None = None
    capacity: int | None = None  # open handoffs held at once; None: no limit
    time_zone: str = "UTC"  # IANA name
    work_start: str = "00:00"  # local time, HH:MM
    work_end: str = "24:00"
    work_days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7])  # ISO weekdays
    out_of_office_from: datetime | None = None
    out_of_office_until: datetime | None = None
    active: bool = True


class RepUpdated(Event, RepFields):
    """A rep created or changed (`PUT`/`PATCH /v1/reps/{rep_id}`): the whole record."""

    TYPE = "rep.updated"
    updated_by: str | None = None  # who changed it

    def key(self) -> str:
        return self.rep_id


class PoolMemberFields(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    rep_id: str
    weight: int = 1


class PoolFields(TerritoryFields):
    pool_id: str
    name: str
    team: Team
    members: list[PoolMemberFields] = Field(default_factory=list)
    sticky: bool = False  # an account's work goes to the member who had it last, when available
    turn: int = 1  # a new turn starts when members or weights change


class PoolUpdated(Event, PoolFields):
    """A pool created or changed (`PUT`/`PATCH /v1/pools/{pool_id}`): the whole record."""

    TYPE = "pool.updated"
    updated_by: str | None = None

    def key(self) -> str:
        return self.pool_id


class OppHandoffEscalated(Event):
    """A handoff not accepted by its due time: its owner (and whoever watches the pool) is told."""

    TYPE = "opp.handoff_escalated"
    opp_id: str
    account_id: str
    type: str
    stage: str
    team: Team
    owner: str | None
    owner_email: str | None = None
    pool_id: str | None = None
    assigned_at: datetime
    due_at: datetime
    overdue_by_seconds: float
    reassign_at: datetime | None = None  # when it goes to the next in the pool, still unaccepted

    def key(self) -> str:
        return self.opp_id


class OppHandoffReassigned(Event):
    """An escalated handoff still not accepted, given to the next person in the pool."""

    TYPE = "opp.handoff_reassigned"
    opp_id: str
    account_id: str
    type: str
    stage: str
    team: Team
    from_owner: str | None
    to_owner: str | None
    reason: str
    rule: str
    pool_id: str | None = None
    turn: int | None = None
    due_at: datetime | None = None

    def key(self) -> str:
        return self.opp_id


class LeadRouted(Event):
    """A route decision for a person (a contact): to a seller with an accept-by time, to nurture,
    or recycled back to marketing, with who decided and why."""

    TYPE = "lead.routed"
    contact_id: str
    account_id: str
    route: Literal["sales", "nurture", "recycle"]
    owner: str | None = None
    due_at: datetime | None = None
    reason: str
    rule: str
    pool_id: str | None = None
    turn: int | None = None
    actor: str

    def key(self) -> str:
        return self.contact_id


class LeadRouteEscalated(Event):
    """A person routed to a seller and not accepted by the route's accept-by time."""

    TYPE = "lead.route_escalated"
    contact_id: str
    account_id: str
    owner: str | None
    owner_email: str | None = None
    pool_id: str | None = None
    assigned_at: datetime
    due_at: datetime
    overdue_by_seconds: float
    reassign_at: datetime | None = None

    def key(self) -> str:
        return self.contact_id
