"""The opportunity board: stages as columns, cards with SLA badge and gate status.

The pipelines come from the opportunity service (`GET /v1/pipelines`); the gate rule is the
service's own (committee roles covered, roles required by name, fields required), read here only
to tell people what the next stage needs before they try to move a card.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.console.domain.text import duration, label, money


@dataclass(frozen=True)
class StageDef:
    name: str
    team: str
    closed: bool = False
    sla_hours: float | None = None
    roles_covered: int = 0
    roles_required: tuple[str, ...] = ()
    fields_required: tuple[str, ...] = ()


def stage_defs(pipeline: Sequence[Mapping[str, Any]]) -> list[StageDef]:
    return [
        StageDef(
            name=s["name"],
            team=s["team"],
            closed=bool(s.get("closed")),
            sla_hours=s.get("sla_hours"),
            roles_covered=int(s.get("gate", {}).get("roles_covered", 0)),
            roles_required=tuple(s.get("gate", {}).get("roles_required", ())),
            fields_required=tuple(s.get("gate", {}).get("fields_required", ())),
        )
        for s in pipeline
    ]


@dataclass(frozen=True)
class GateStatus:
    next_stage: str | None
    ready: bool
    text: str


def confirmed_roles(opp: Mapping[str, Any]) -> set[str]:
    return {
        m["role"] for m in opp.get("contact_roles", []) if m.get("status") == "confirmed" and m.get("role")
    }


def gate_status(opp: Mapping[str, Any], stages: Sequence[StageDef], committee: Sequence[str]) -> GateStatus:
    """What the opp's next open stage needs: ready, or the roles and fields still missing."""
    names = [s.name for s in stages]
    if opp["stage"] not in names or opp.get("closed_at"):
        return GateStatus(None, False, "closed" if opp.get("closed_at") else "not in this pipeline")
    following = next((s for s in stages[names.index(opp["stage"]) + 1 :] if not s.closed), None)
    if following is None:
        return GateStatus(None, True, "ready to close")
    roles = confirmed_roles(opp)
    covered = sum(1 for r in committee if r in roles)
    needs = []
    named = [label(r) for r in following.roles_required if r not in roles]
    if named:
        needs.append(", ".join(named))
    if covered < following.roles_covered:
        needs.append(f"{following.roles_covered - covered} more committee role(s)")
    fields = [label(f) for f in following.fields_required if opp.get(f) in (None, "")]
    if fields:
        needs.append(", ".join(fields))
    if not needs:
        return GateStatus(following.name, True, f"ready for {label(following.name)}")
    return GateStatus(following.name, False, f"{label(following.name)} needs {'; '.join(needs)}")


@dataclass(frozen=True)
class Badge:
    kind: str  # ok | breached | none
    text: str


def sla_badge(sla: Mapping[str, Any] | None, now: datetime) -> Badge:
    if not sla or sla.get("state") in (None, "none"):
        return Badge("none", "no SLA")
    if sla["state"] == "breached":
        return Badge("breached", f"SLA breached {duration(float(sla.get('overdue_by_seconds') or 0))} ago")
    due = datetime.fromisoformat(sla["due_at"]) if isinstance(sla.get("due_at"), str) else sla.get("due_at")
    left = (due - now).total_seconds() if due else 0.0
    if left <= 0:
        return Badge("breached", "SLA due now")
    return Badge("ok", f"SLA in {duration(left)}")


@dataclass(frozen=True)
class Card:
    opp_id: str
    account_id: str
    amount: str
    owner: str
    badge: Badge
    gate: GateStatus
    potential: int
    stage_owner: str | None = None
    handoff: Badge | None = None  # only when the handoff in force is open and past its accept-by time


@dataclass(frozen=True)
class Column:
    stage: str
    team: str
    count: int
    cards: list[Card]

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))


def card(
    opp: Mapping[str, Any],
    stages: Sequence[StageDef],
    committee: Sequence[str],
    now: datetime,
    handoff: Badge | None = None,
) -> Card:
    return Card(
        opp_id=opp["opp_id"],
        account_id=opp["account_id"],
        amount=money(opp.get("amount")),
        owner=opp.get("owner") or "no owner",
        badge=sla_badge(opp.get("sla"), now),
        gate=gate_status(opp, stages, committee),
        potential=sum(1 for m in opp.get("contact_roles", []) if m.get("status") == "potential"),
        stage_owner=opp.get("stage_owner"),
        handoff=handoff,
    )


def board(
    stages: Sequence[StageDef],
    counts: Mapping[str, int],
    opps_by_stage: Mapping[str, Sequence[Mapping[str, Any]]],
    committee: Sequence[str],
    now: datetime,
    handoffs: Mapping[str, Badge] | None = None,
) -> list[Column]:
    """One column per open stage, in pipeline order, with its count and first cards (`handoffs`:
    the unaccepted badge of the cards that have one, by opp id)."""
    late = handoffs or {}
    return [
        Column(
            stage=s.name,
            team=s.team,
            count=int(counts.get(s.name, 0)),
            cards=[
                card(o, stages, committee, now, late.get(o["opp_id"])) for o in opps_by_stage.get(s.name, ())
            ],
        )
        for s in stages
        if not s.closed
    ]


@dataclass(frozen=True)
class Coverage:
    present: list[str]
    missing: list[str]

    @property
    def text(self) -> str:
        return f"{len(self.present)} of {len(self.present) + len(self.missing)} committee roles"


def coverage(opp: Mapping[str, Any], committee: Sequence[str]) -> Coverage:
    roles = confirmed_roles(opp)
    return Coverage([r for r in committee if r in roles], [r for r in committee if r not in roles])
