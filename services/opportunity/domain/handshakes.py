"""Handshakes at stage boundaries: when an opp enters a stage another team owns, a person of that
team takes it over, with a next step, its owner and a due date. Who that person is comes from
the account (its AE at sales stages, its CSM at customer-success ones) or from the team's pool
(`shared.assignment`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.opportunity.domain.pipelines import Pipeline, Stage


@dataclass(frozen=True)
class Named:
    """The person the account names for a team's work, and which of its fields named them."""

    rep_id: str
    rule: str
    label: str


def is_boundary(pipeline: Pipeline, from_stage: str | None, to_stage: str) -> bool:
    """An open stage whose team differs from the one the opp comes from (or a new opp's first)."""
    stage = pipeline.stage(to_stage)
    if stage.closed:
        return False
    if from_stage is None or not pipeline.has(from_stage):
        return True
    return pipeline.stage(from_stage).team != stage.team


def named_owner(team: str, owner: str | None, csm: str | None) -> Named | None:
    """The account's AE owns its sales stages; its CSM (or, without one, its AE) customer success."""
    if team == "sales" and owner:
        return Named(owner, "account_owner", "owner")
    if team == "customer_success" and (csm or owner):
        return Named(csm, "account_csm", "CSM") if csm else Named(owner or "", "account_owner", "owner")
    return None


def next_step(stage: Stage) -> str:
    return f"Accept the handoff into {stage.name} and agree the next step with the buying group"


def next_step_due(stage: Stage, now: datetime, accept_hours: float) -> date:
    """The stage's SLA bounds the next step; a stage without one, the acceptance window."""
    return (now + timedelta(hours=stage.sla_hours or accept_hours)).date()


def person_of(actor: str) -> str:
    """The person behind an actor: `ann (via console)` is ann."""
    return actor.split(" (via ", 1)[0]
