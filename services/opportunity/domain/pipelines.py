"""Pipelines: ordered stages per opportunity type, each with its team, gate and SLA.

The defaults are DOMAIN.md's table; `config.py` builds (and validates) a configured set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

COMMITTEE_ROLES = ("decision_maker", "economic_buyer", "champion", "influencer", "technical_buyer")
ROLES = (*COMMITTEE_ROLES, "evaluator", "user", "other")
OPP_TYPES = ("acquisition", "renewal", "upsell", "cross_sell")
EXPANSION_TYPES = ("upsell", "cross_sell")
TEAMS = ("marketing", "sdr", "sales", "customer_success")
WON, LOST = "closed_won", "closed_lost"
CLOSED = (WON, LOST)
# Fields a gate may require: the opp's own columns.
GATE_FIELDS = (
    "amount",
    "close_date",
    "term_months",
    "owner",
    "next_step",
    "next_step_owner",
    "next_step_due",
)
# Every stage with a stamp column (`entered_<stage>` on opportunities, migration 0002).
STAMPED_STAGES = (
    "target",
    "active",
    "engaged",
    "prioritized",
    "qualified",
    "pipeline",
    "upcoming",
    "negotiation",
    "identified",
    "proposal",
    WON,
    LOST,
)


@dataclass(frozen=True)
class Gate:
    roles_covered: int = 0
    roles_required: tuple[str, ...] = ()
    fields_required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stage:
    name: str
    team: str
    gate: Gate = field(default_factory=Gate)
    sla_hours: float | None = None
    last_marketing: bool = False
    sdr: bool = False

    @property
    def closed(self) -> bool:
        return self.name in CLOSED


@dataclass(frozen=True)
class Pipeline:
    type: str
    stages: tuple[Stage, ...]

    @property
    def first_stage(self) -> Stage:
        return self.stages[0]

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stages)

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if not s.closed)

    def has(self, name: str) -> bool:
        return name in self.names

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    def index(self, name: str) -> int:
        return self.names.index(name)

    @property
    def last_marketing(self) -> Stage | None:
        return next((s for s in self.stages if s.last_marketing), None)

    @property
    def sdr(self) -> Stage | None:
        return next((s for s in self.stages if s.sdr), None)


@dataclass(frozen=True)
class Pipelines:
    """The configured pipelines, roles and committee; expansion types may be switched off."""

    by_type: Mapping[str, Pipeline]
    roles: tuple[str, ...] = ROLES
    committee: tuple[str, ...] = COMMITTEE_ROLES

    def enabled(self, opp_type: str) -> bool:
        return opp_type in self.by_type

    def __getitem__(self, opp_type: str) -> Pipeline:
        return self.by_type[opp_type]


_MONEY = ("amount", "close_date")
_PIPELINE_GATE = Gate(4, ("economic_buyer",), _MONEY)
_DAY = 24.0

ACQUISITION = Pipeline(
    "acquisition",
    (
        Stage("target", "marketing"),
        Stage("active", "marketing", Gate(1), sla_hours=30 * _DAY),
        Stage("engaged", "marketing", Gate(1), sla_hours=30 * _DAY),
        Stage("prioritized", "marketing", Gate(2), sla_hours=14 * _DAY, last_marketing=True),
        Stage("qualified", "sdr", Gate(3), sla_hours=7 * _DAY, sdr=True),
        Stage("pipeline", "sales", _PIPELINE_GATE, sla_hours=90 * _DAY),
        Stage(WON, "sales", _PIPELINE_GATE),
        Stage(LOST, "sales"),
    ),
)
RENEWAL = Pipeline(
    "renewal",
    (
        Stage("upcoming", "customer_success"),
        Stage("engaged", "customer_success", Gate(1), sla_hours=60 * _DAY),
        Stage("negotiation", "customer_success", Gate(2, ("economic_buyer",)), sla_hours=30 * _DAY),
        Stage(WON, "customer_success", Gate(fields_required=_MONEY)),
        Stage(LOST, "customer_success"),
    ),
)


def _expansion(kind: str) -> Pipeline:
    proposal = Gate(2, fields_required=_MONEY)
    return Pipeline(
        kind,
        (
            Stage("identified", "sales", sla_hours=30 * _DAY),
            Stage("qualified", "sales", Gate(1), sla_hours=30 * _DAY),
            Stage("proposal", "sales", proposal, sla_hours=30 * _DAY),
            Stage(WON, "sales", proposal),
            Stage(LOST, "sales"),
        ),
    )


DEFAULT_PIPELINES: dict[str, Pipeline] = {
    p.type: p for p in (ACQUISITION, RENEWAL, _expansion("upsell"), _expansion("cross_sell"))
}
DEFAULTS = Pipelines(DEFAULT_PIPELINES)
