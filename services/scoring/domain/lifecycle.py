"""Lifecycle stages: rules move people up to MQL, sales moves them on or recycles them, and
buying groups and won deals make them opportunity and customer.

Suspect -> Prospect (known, fit enough) -> MQL (score over the threshold) -> SAL -> SQL ->
Opportunity -> Customer; `nurture` is where a recycled person waits to qualify again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

STAGES = ("suspect", "prospect", "mql", "sal", "sql", "opportunity", "customer")
NURTURE = "nurture"
# What sales may do through the API, and from which stages.
BY_SALES = {
    "sal": ("mql", "prospect", NURTURE),
    "sql": ("sal", "mql"),
    NURTURE: ("prospect", "mql", "sal", "sql", "opportunity"),
}


class TransitionRefused(ValueError):
    def __init__(self, current: str, to: str, reason: str) -> None:
        super().__init__(reason)
        self.current, self.to = current, to


@dataclass(frozen=True)
class Change:
    from_stage: str
    to_stage: str
    at: datetime
    actor: str
    reason: str


def rank(stage: str) -> int:
    """Nurture sits beside prospect: a recycled person must qualify again to move on."""
    return STAGES.index("prospect") if stage == NURTURE else STAGES.index(stage)


def by_rules(
    current: str,
    *,
    score: float,
    fit: float,
    known: bool,
    engaged_since_recycled: bool,
    mql_threshold: float,
    prospect_fit: float,
) -> list[tuple[str, str]]:
    """The stages the rules move a person through, in order, each with why (none: kept). Rules
    never move anyone down, nor past MQL. A known person with the fit is a prospect before an MQL
    however many engagements arrive at once: the funnel's prospect-to-MQL rate counts them."""
    if rank(current) >= rank("mql") and current != NURTURE:
        return []
    steps = []
    if current == "suspect" and known and fit >= prospect_fit:
        steps.append(("prospect", f"known person with fit {fit:g} (prospect from {prospect_fit:g})"))
    if score >= mql_threshold and (current != NURTURE or engaged_since_recycled):
        steps.append(("mql", f"score {score:g} reached the MQL threshold {mql_threshold:g}"))
    return steps


def by_sales(current: str, to: str, reason: str | None) -> str:
    """The stage sales asks for, or `TransitionRefused` saying why not."""
    if to not in BY_SALES:
        allowed = ", ".join(BY_SALES)
        raise TransitionRefused(current, to, f"sales can move a person to {allowed}, not {to!r}")
    if current not in BY_SALES[to]:
        raise TransitionRefused(
            current, to, f"cannot move from {current} to {to}; {to} is reached from {', '.join(BY_SALES[to])}"
        )
    if to == NURTURE and not (reason or "").strip():
        raise TransitionRefused(current, to, "recycling needs a reason (why the lead goes back to nurture)")
    return to


def by_deal(current: str, to: str) -> str | None:
    """Opportunity (in an open deal's buying group) or customer (a won deal): only ever forward."""
    if to == current or (current != NURTURE and rank(current) >= rank(to)):
        return None
    return to
