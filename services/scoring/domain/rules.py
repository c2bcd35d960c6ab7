"""Rule scores, first version: fit from who the person is, behaviour from what they did.

Pure: facts in, points and reasons out. Issue #7 brings the configurable, versioned model
with decay, caps and the predictive score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

MODEL_VERSION = "rules-v1"
MQL_THRESHOLD = 100.0

_SENIORITY = (
    (
        re.compile(r"\b(chief|ceo|cto|cfo|coo|cmo|cio|ciso|founder|owner|president)\b"),
        "title_c_level",
        25.0,
    ),
    (re.compile(r"\b(vp|vice president|svp|evp)\b"), "title_vp", 20.0),
    (re.compile(r"\b(director|head of)\b"), "title_director", 15.0),
    (re.compile(r"\b(manager|lead)\b"), "title_manager", 10.0),
)
_NOT_A_BUYER = re.compile(r"\b(student|intern|job seeker|looking for work|unemployed)\b")
_HIGH_INTENT_URL = re.compile(r"/(pricing|demo|contact-sales|quote)/?([?#]|$)")

BEHAVIOUR_POINTS = {
    "form_submit": 15.0,
    "email_open": 1.0,
    "email_click": 3.0,
    "page_view": 2.0,
    "download": 10.0,
    "webinar_registered": 5.0,
    "webinar_attended": 15.0,
    "meeting": 25.0,
    "call": 15.0,
    "unsubscribe": -20.0,
}


@dataclass(frozen=True)
class Reason:
    rule: str
    points: float
    at: datetime | None = None


@dataclass(frozen=True)
class PersonFacts:
    title: str | None
    employees: int | None
    is_free_mail: bool


def fit_reasons(person: PersonFacts) -> list[Reason]:
    reasons = []
    title = (person.title or "").lower()
    if _NOT_A_BUYER.search(title):
        reasons.append(Reason("title_not_a_buyer", -20.0))
    else:
        for pattern, rule, points in _SENIORITY:
            if pattern.search(title):
                reasons.append(Reason(rule, points))
                break
    employees = person.employees or 0
    if employees >= 1000:
        reasons.append(Reason("company_1000_plus", 15.0))
    elif employees >= 200:
        reasons.append(Reason("company_200_999", 10.0))
    elif employees >= 50:
        reasons.append(Reason("company_50_199", 5.0))
    if person.is_free_mail:
        reasons.append(Reason("free_mail", -10.0))
    return reasons


def behaviour_reason(kind: str, url: str | None, at: datetime) -> Reason:
    if kind == "page_view" and url and _HIGH_INTENT_URL.search(url.lower()):
        return Reason("page_view_high_intent", 10.0, at)
    return Reason(kind, BEHAVIOUR_POINTS.get(kind, 0.0), at)


def lifecycle_stage(score: float, fit: float, current: str | None) -> str:
    """Rule-driven stages only; SAL and later come from sales and are never undone here."""
    if current in ("sal", "sql", "opportunity", "customer"):
        return current
    if score >= MQL_THRESHOLD or current == "mql":
        return "mql"
    return "prospect" if fit > 0 else "suspect"
