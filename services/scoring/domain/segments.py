"""Segments of people: who marketing targets or excludes. Built-in ones read buying groups and
lifecycle; configured ones are rules in a small typed language (`all` of conditions on a
person's facts), validated at start. `evaluate` is pure: facts and `now` in, the segments the
person belongs to (with why) and when time alone could change that, out."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator


@dataclass(frozen=True)
class Seat:
    """The person in one opp's buying group."""

    opp_id: str
    status: str  # potential | confirmed
    role: str | None
    suggested_role: str | None
    stage: str | None
    open: bool
    covered: frozenset[str]  # the opp's committee roles held by confirmed members


@dataclass(frozen=True)
class Facts:
    person_id: str
    lifecycle_stage: str
    stage_changed_at: datetime | None
    score: float
    fit: float
    behaviour: float
    last_engaged_at: datetime | None
    title: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: int | None = None
    recycled_at: datetime | None = None
    seats: tuple[Seat, ...] = ()


@dataclass(frozen=True)
class BuiltInConfig:
    exclusion_stages: frozenset[str]
    engaged_within: timedelta
    mql_sla: timedelta
    committee: frozenset[str]


BUILT_IN = {
    "open-opp-members-past-stage": "Confirmed members of open opps past the exclusion stage (exclude)",
    "unengaged-committee": "Confirmed members of open opps not engaged lately",
    "potential-members": "Potential buying-group members to confirm",
    "uncovered-roles": "Potential members whose persona is an uncovered committee role",
    "nurture": "Responders not ready to buy (prospects who engaged, and nurture)",
    "recycled": "People sales recycled to nurture",
    "mql-not-accepted": "MQLs not accepted by sales within the SLA",
}

NUMBERS = ("score", "fit", "behaviour", "employees", "days_since_engaged")
TEXTS = ("lifecycle_stage", "title", "country", "industry", "member_status", "opp_stage", "buying_role")
NUMBER_OPS = ("gt", "gte", "lt", "lte", "eq", "ne")
TEXT_OPS = ("eq", "ne", "in", "not_in", "contains")
SEGMENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class Condition(BaseModel):
    field: Literal[NUMBERS + TEXTS]  # type: ignore[valid-type]
    op: Literal[NUMBER_OPS + TEXT_OPS]  # type: ignore[valid-type]
    value: float | str | list[str]

    @model_validator(mode="after")
    def _typed(self) -> Condition:
        number = self.field in NUMBERS
        if self.op not in (NUMBER_OPS if number else TEXT_OPS):
            raise ValueError(
                f"{self.field} takes {', '.join(NUMBER_OPS if number else TEXT_OPS)}, not {self.op}"
            )
        wanted: Any = float if number else (list if self.op in ("in", "not_in") else str)
        if wanted is float and isinstance(self.value, int | float) and not isinstance(self.value, bool):
            return self
        if not isinstance(self.value, wanted) or isinstance(self.value, bool):
            raise ValueError(f"{self.field} {self.op} needs a {wanted.__name__} value")
        return self


class SegmentRule(BaseModel):
    segment_id: str
    name: str = Field(min_length=1, max_length=200)
    all: list[Condition] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _id(self) -> SegmentRule:
        if not SEGMENT_ID.match(self.segment_id) or self.segment_id in BUILT_IN:
            raise ValueError(
                f"segment id {self.segment_id!r}: lowercase letters, digits and '-', not a built-in's"
            )
        return self


def _open(facts: Facts) -> list[Seat]:
    return [seat for seat in facts.seats if seat.open]


def built_in(
    facts: Facts, config: BuiltInConfig, now: datetime
) -> tuple[dict[str, dict[str, Any]], datetime | None]:
    found: dict[str, dict[str, Any]] = {}
    due: list[datetime] = []
    confirmed = [s for s in _open(facts) if s.status == "confirmed"]
    past = [s.opp_id for s in confirmed if s.stage in config.exclusion_stages]
    if past:
        found["open-opp-members-past-stage"] = {"opp_ids": sorted(past)}
    if confirmed:
        engaged_until = facts.last_engaged_at + config.engaged_within if facts.last_engaged_at else None
        if engaged_until is None or engaged_until <= now:
            found["unengaged-committee"] = {"opp_ids": sorted(s.opp_id for s in confirmed)}
        else:
            due.append(engaged_until)
    potential = [s for s in _open(facts) if s.status == "potential"]
    if potential:
        found["potential-members"] = {"opp_ids": sorted(s.opp_id for s in potential)}
    uncovered = {
        s.opp_id: s.suggested_role
        for s in potential
        if s.suggested_role in config.committee and s.suggested_role not in s.covered
    }
    if uncovered:
        found["uncovered-roles"] = {"roles": dict(sorted(uncovered.items()))}
    if facts.lifecycle_stage == "nurture" or (facts.lifecycle_stage == "prospect" and facts.last_engaged_at):
        found["nurture"] = {}
    if facts.lifecycle_stage == "nurture" and facts.recycled_at is not None:
        found["recycled"] = {"since": facts.recycled_at.isoformat()}
    if facts.lifecycle_stage == "mql" and facts.stage_changed_at is not None:
        overdue = facts.stage_changed_at + config.mql_sla
        if overdue <= now:
            found["mql-not-accepted"] = {"mql_since": facts.stage_changed_at.isoformat()}
        else:
            due.append(overdue)
    return found, min(due, default=None)


def _values(facts: Facts, field: str, now: datetime) -> list[Any]:
    seats = _open(facts)
    if field == "days_since_engaged":
        engaged = facts.last_engaged_at
        return [(now - engaged).total_seconds() / 86400 if engaged else float("inf")]
    if field == "member_status":
        statuses = {s.status for s in seats}
        return ["confirmed" if "confirmed" in statuses else "potential" if statuses else "none"]
    if field == "opp_stage":
        return [s.stage for s in seats if s.stage]
    if field == "buying_role":
        return [s.role for s in seats if s.role and s.status == "confirmed"]
    return [getattr(facts, field)]


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "eq": lambda a, b: str(a).lower() == str(b).lower() if isinstance(a, str) else a == b,
    "in": lambda a, b: str(a).lower() in [v.lower() for v in b],
    "contains": lambda a, b: str(b).lower() in str(a).lower(),
}


def holds(condition: Condition, facts: Facts, now: datetime) -> bool:
    """A list field holds when any of its values does (`ne`, `not_in`: when none is equal)."""
    values = [v for v in _values(facts, condition.field, now) if v is not None]
    if condition.op in ("ne", "not_in"):
        positive = COMPARE["eq" if condition.op == "ne" else "in"]
        return not any(positive(v, condition.value) for v in values)
    return any(COMPARE[condition.op](v, condition.value) for v in values)


def evaluate(
    facts: Facts, config: BuiltInConfig, rules: list[SegmentRule], now: datetime
) -> tuple[dict[str, dict[str, Any]], datetime | None]:
    """The segments the person is in, with why, and when time alone may change that (a rule on
    days since engagement is looked at again a day later)."""
    found, due = built_in(facts, config, now)
    for rule in rules:
        if all(holds(c, facts, now) for c in rule.all):
            found[rule.segment_id] = {}
        if any(c.field == "days_since_engaged" for c in rule.all):
            due = min(due or now + timedelta(days=1), now + timedelta(days=1))
    return found, due
