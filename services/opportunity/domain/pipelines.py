"""The default pipelines of DOMAIN.md: stages in order, their owning team and their gate."""

from __future__ import annotations

from dataclasses import dataclass, field

COMMITTEE_ROLES = ("decision_maker", "economic_buyer", "champion", "influencer", "technical_buyer")
ROLES = (*COMMITTEE_ROLES, "evaluator", "user", "other")


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
    closed: bool = False
    last_marketing: bool = False
    sdr: bool = False


@dataclass(frozen=True)
class Pipeline:
    type: str
    stages: tuple[Stage, ...]

    @property
    def first_stage(self) -> Stage:
        return self.stages[0]

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)


_MONEY = ("amount", "close_date")
_PIPELINE_GATE = Gate(4, ("economic_buyer",), _MONEY)

ACQUISITION = Pipeline(
    "acquisition",
    (
        Stage("target", "marketing"),
        Stage("active", "marketing", Gate(1)),
        Stage("engaged", "marketing", Gate(1)),
        Stage("prioritized", "marketing", Gate(2), last_marketing=True),
        Stage("qualified", "sdr", Gate(3), sdr=True),
        Stage("pipeline", "sales", _PIPELINE_GATE),
        Stage("closed_won", "sales", _PIPELINE_GATE, closed=True),
        Stage("closed_lost", "sales", closed=True),
    ),
)
RENEWAL = Pipeline(
    "renewal",
    (
        Stage("upcoming", "customer_success"),
        Stage("engaged", "customer_success", Gate(1)),
        Stage("negotiation", "customer_success", Gate(2, ("economic_buyer",))),
        Stage("closed_won", "customer_success", Gate(fields_required=_MONEY), closed=True),
        Stage("closed_lost", "customer_success", closed=True),
    ),
)


def _expansion(kind: str) -> Pipeline:
    return Pipeline(
        kind,
        (
            Stage("identified", "sales"),
            Stage("qualified", "sales", Gate(1)),
            Stage("proposal", "sales", Gate(2, fields_required=_MONEY)),
            Stage("closed_won", "sales", Gate(2, fields_required=_MONEY), closed=True),
            Stage("closed_lost", "sales", closed=True),
        ),
    )


DEFAULT_PIPELINES = {
    p.type: p for p in (ACQUISITION, RENEWAL, _expansion("upsell"), _expansion("cross_sell"))
}
