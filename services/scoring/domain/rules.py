"""The rules of the scoring model: facts in, points and their reasons out.

Fit is who the person is (title, company, market, BANT answers), negative is what rules a
person out (those never decay), behaviour is what they did (it decays: see `decay`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.scoring.domain.model import BANT, ScoringModel


@dataclass(frozen=True)
class Reason:
    rule: str
    points: float
    at: datetime | None = None


@dataclass(frozen=True)
class PersonFacts:
    title: str | None = None
    employees: int | None = None
    industry: str | None = None
    country: str | None = None
    email_domain: str | None = None
    is_free_mail: bool = False
    unsubscribed: bool = False
    bounced: bool = False
    rejected: bool = False
    answers: Mapping[str, str] = field(default_factory=dict)  # BANT key -> the person's answer


def fit_reasons(model: ScoringModel, person: PersonFacts, at: datetime | None = None) -> list[Reason]:
    fit, title = model.fit, person.title or ""
    found = [
        _first([(r.rule, r.points) for r in fit.seniority if r.matches(title)]),
        _first([(r.rule, r.points) for r in fit.department if r.matches(title)]),
        _first(
            [(r.rule, r.points) for r in fit.industries if person.industry and r.matches(person.industry)]
        ),
        _first([(r.rule, r.points) for r in fit.countries if person.country and r.matches(person.country)]),
    ]
    if person.employees is not None:
        bands = sorted(fit.employees, key=lambda b: -b.min_employees)
        found.append(_first([(b.rule, b.points) for b in bands if person.employees >= b.min_employees]))
    for key in BANT:
        answer = person.answers.get(key)
        if answer:
            found.append(_first([(r.rule, r.points) for r in fit.bant.get(key, []) if r.matches(answer)]))
    return [Reason(rule, points, at) for rule, points in (f for f in found if f)]


def negative_reasons(model: ScoringModel, person: PersonFacts, at: datetime | None = None) -> list[Reason]:
    negative = model.negative
    rules: list[tuple[str, float, bool]] = [
        ("not_a_buyer_title", negative.not_a_buyer, bool(_search(negative.not_a_buyer_titles, person.title))),
        ("competitor_domain", negative.competitor, _is_competitor(negative.competitor_domains, person)),
        ("free_mail", negative.free_mail, person.is_free_mail),
        ("unsubscribed", negative.unsubscribe, person.unsubscribed),
        ("email_bounced", negative.bounced, person.bounced),
        ("lead_rejected", negative.rejected, person.rejected),
    ]
    return [Reason(rule, points, at) for rule, points, applies in rules if applies and points]


def bant_answers(model: ScoringModel, properties: Mapping[str, object]) -> dict[str, str]:
    """The BANT answers a form's properties carry, by BANT key."""
    by_name = {str(name).strip().casefold(): value for name, value in properties.items()}
    answers = {}
    for key, names in model.fit.bant_properties.items():
        value = next(
            (by_name[n.casefold()] for n in names if by_name.get(n.casefold()) not in (None, "")), None
        )
        if value is not None:
            answers[key] = str(value).strip()
    return answers


def behaviour_reason(
    model: ScoringModel,
    *,
    kind: str,
    url: str | None,
    campaign: str | None,
    at: datetime,
    used_today: float = 0.0,
) -> Reason:
    """The points of one engagement: by kind, or by page for a page view, times the campaign's
    weight, capped by what the person already earned for this kind that day."""
    behaviour = model.behaviour
    rule, points = kind, behaviour.points.get(kind, 0.0)
    if kind == "page_view" and url:
        page = next((p for p in behaviour.pages if p.matches(url)), None)
        if page is not None:
            rule, points = page.rule, page.points
    if campaign and campaign in behaviour.campaign_weights:
        weight = behaviour.campaign_weights[campaign]
        rule, points = f"{rule} x{weight:g} ({campaign})", points * weight
    cap = behaviour.daily_caps.get(kind)
    if cap is not None and points > cap - used_today:
        rule, points = f"{rule} (daily cap {cap:g})", max(0.0, cap - used_today)
    return Reason(rule, round(points, 4), at)


def _first(matches: list[tuple[str, float]]) -> tuple[str, float] | None:
    return matches[0] if matches else None


def _search(pattern: str, text: str | None) -> bool:
    return bool(text) and re.search(pattern, text or "", re.IGNORECASE) is not None


def _is_competitor(domains: list[str], person: PersonFacts) -> bool:
    domain = (person.email_domain or "").casefold()
    return bool(domain) and any(
        domain == d.casefold() or domain.endswith("." + d.casefold()) for d in domains
    )
