"""Events about opportunities: creation, changes, stage moves, buying groups, SLA breaches."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from shared.events.base import Event

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
    buying_group_key: str | None = None  # the product line or business unit of its buying group

    def key(self) -> str:
        return self.opp_id


class OppUpdated(Event):
    """A change to an opp's fields (not its stage): what changed, from what, by whom."""

    TYPE = "opp.updated"
    opp_id: str
    account_id: str
    type: OppType
    changed: dict[str, Any]
    previous: dict[str, Any]
    actor: str
    at: datetime
    reason: str | None = None  # why automation changed it (a handoff: who, which rule, which pool turn)

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
    """A buying-group member added, changed (role, primary, confirmed or not) or removed. A
    `potential` member was mapped by automation and holds no role yet; `confirmed` ones hold the
    committee roles that gates and influence count."""

    TYPE = "opp.contact_role_changed"
    VERSION = 2
    opp_id: str
    account_id: str
    contact_id: str
    role: str | None
    primary: bool = False
    change: Literal["added", "changed", "removed"]
    status: Literal["potential", "confirmed"] = "confirmed"
    suggested_role: str | None = None
    actor: str | None = None

    def key(self) -> str:
        return self.opp_id


class _SlaStay(Event):
    """A stay in a stage past its SLA (what a breach and its escalation both say)."""

    opp_id: str
    stage: str
    sla_hours: float
    overdue_by_seconds: float
    account_id: str | None = None
    type: OppType | None = None
    stage_entered_at: datetime | None = None
    owner: str | None = None
    stage_owner: str | None = None  # who owns the stage: whom the breach concerns

    def key(self) -> str:
        return self.opp_id


class OppSlaBreached(_SlaStay):
    TYPE = "opp.sla_breached"


class OppSlaEscalated(_SlaStay):
    """The same stay, still in its stage a second window after its breach: it goes up a level."""

    TYPE = "opp.sla_escalated"
    breached_at: datetime
