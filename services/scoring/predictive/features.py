"""What the predictive model knows of a person: the same columns for the training export and for
scoring one person, so a model learnt from `cascade scoring export` can score the live service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.scoring.domain.model import BANT, KINDS, ScoringModel

TARGET = "became_opportunity"
COUNTED = [kind for kind in KINDS if kind != "unsubscribe"]
HEADER = [
    "person_id",
    "seniority",
    "department",
    "industry",
    "country",
    "employees",
    "free_mail",
    "unsubscribed",
    "bounced",
    *[f"bant_{key}" for key in BANT],
    *[f"count_{kind}" for kind in COUNTED],
    "engagement_points",
    TARGET,
]


def _first_rule(rules: list[Any], title: str) -> str:
    return next((r.rule for r in rules if r.matches(title)), "")


def feature_row(
    model: ScoringModel,
    person: Mapping[str, Any],
    counts: Mapping[str, int],
    *,
    points: float,
    outcome: bool | None = None,
) -> dict[str, str]:
    """One person as text columns (blank = unknown), as a CSV export holds them."""
    title = person.get("title") or ""
    answers = person.get("answers") or {}
    row = {
        "person_id": str(person["person_id"]),
        "seniority": _first_rule(model.fit.seniority, title) if title else "",
        "department": _first_rule(model.fit.department, title) if title else "",
        "industry": (person.get("industry") or "").strip().casefold(),
        "country": (person.get("country") or "").strip().upper(),
        "employees": "" if person.get("employees") is None else str(person["employees"]),
        **{flag: "yes" if person.get(key) else "no" for flag, key in _FLAGS},
        **{f"bant_{key}": str(answers.get(key, "")) for key in BANT},
        **{f"count_{kind}": str(counts.get(kind, 0)) for kind in COUNTED},
        "engagement_points": f"{points:.2f}",
        TARGET: "" if outcome is None else str(int(outcome)),
    }
    return row


_FLAGS = (("free_mail", "is_free_mail"), ("unsubscribed", "unsubscribed"), ("bounced", "bounced"))
