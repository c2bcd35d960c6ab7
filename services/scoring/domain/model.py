"""The scoring model: versioned configuration, validated when the service starts.

Every section has a default a RevOps admin would recognise; a model file (JSON) replaces the
sections it names and must carry its own `version`, which every score then reports.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.events.catalog import EngagementKind

KINDS: tuple[str, ...] = get_args(EngagementKind)
BANT = ("budget", "authority", "need", "timing")
NonNegative = Annotated[float, Field(ge=0)]
NonPositive = Annotated[float, Field(le=0)]


class ModelError(ValueError):
    """A scoring model that cannot be used, with every offending field named."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PatternRule(_Section):
    """`points` when `pattern` (a case-insensitive regular expression) is found."""

    rule: str = Field(min_length=1)
    pattern: str = Field(min_length=1)
    points: float

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        return pattern

    def matches(self, text: str) -> bool:
        return re.search(self.pattern, text, re.IGNORECASE) is not None


class ValuesRule(_Section):
    """`points` when the value is one of `values` (compared case-insensitively)."""

    rule: str = Field(min_length=1)
    values: list[str] = Field(min_length=1)
    points: float

    def matches(self, value: str) -> bool:
        return value.strip().casefold() in {v.strip().casefold() for v in self.values}


class SizeBand(_Section):
    rule: str = Field(min_length=1)
    min_employees: int = Field(ge=0)
    points: float


def _level(rule: str, pattern: str, points: float) -> PatternRule:
    return PatternRule(rule=rule, pattern=pattern, points=points)


class Fit(_Section):
    seniority: list[PatternRule] = [
        _level(
            "seniority_c_level", r"\b(chief|ceo|cto|cfo|coo|cmo|cro|cio|ciso|founder|owner|president)\b", 25
        ),
        _level("seniority_vp", r"\b(vp|vice[- ]president|svp|evp)\b", 20),
        _level("seniority_director", r"\b(director|head of)\b", 15),
        _level("seniority_manager", r"\b(manager|lead|principal)\b", 10),
    ]
    department: list[PatternRule] = [
        _level("department_revenue", r"\b(sales|revenue|marketing|growth|demand gen\w*|revops)\b", 10),
        _level("department_technology", r"\b(it|engineering|technology|data|security|cto|cio)\b", 5),
        _level("department_finance", r"\b(finance|cfo|procurement|purchasing)\b", 5),
    ]
    industries: list[ValuesRule] = [
        ValuesRule(
            rule="industry_icp",
            values=["software", "saas", "technology", "financial services", "fintech", "telecommunications"],
            points=10,
        )
    ]
    employees: list[SizeBand] = [
        SizeBand(rule="employees_1000_plus", min_employees=1000, points=15),
        SizeBand(rule="employees_200_999", min_employees=200, points=10),
        SizeBand(rule="employees_50_199", min_employees=50, points=5),
    ]
    countries: list[ValuesRule] = [
        ValuesRule(rule="country_core_market", values=["US", "CA", "GB", "DE", "FR", "NL"], points=10),
        ValuesRule(rule="country_served", values=["IE", "BE", "ES", "IT", "SE", "DK", "AU"], points=5),
    ]
    # Form property names that carry each BANT answer, and the points of the answers.
    bant_properties: dict[str, list[str]] = {
        "budget": ["budget", "bant_budget"],
        "authority": ["authority", "bant_authority", "role_in_purchase"],
        "need": ["need", "bant_need", "use_case"],
        "timing": ["timing", "bant_timing", "timeline", "purchase_timeline"],
    }
    bant: dict[str, list[PatternRule]] = {
        "budget": [_level("bant_budget_approved", r"^(yes|approved|allocated|\$?\d)", 15)],
        "authority": [_level("bant_authority_decision_maker", r"(decision|sign|final say|buyer)", 15)],
        "need": [_level("bant_need_confirmed", r"^(yes|urgent|critical|high)", 10)],
        "timing": [_level("bant_timing_this_quarter", r"(now|immediate|this (month|quarter)|<\s*3|0-3)", 10)],
    }

    @model_validator(mode="after")
    def _bant_keys(self) -> Fit:
        unknown = (set(self.bant) | set(self.bant_properties)) - set(BANT)
        if unknown:
            raise ValueError(
                f"BANT keys must be among {', '.join(BANT)}; unknown: {', '.join(sorted(unknown))}"
            )
        return self


class Behaviour(_Section):
    points: dict[str, NonNegative] = {
        "form_submit": 15,
        "email_open": 1,
        "email_click": 3,
        "page_view": 2,
        "download": 10,
        "webinar_registered": 5,
        "webinar_attended": 15,
        "meeting": 25,
        "call": 15,
    }
    # Page views whose URL matches score these points instead (first match wins).
    pages: list[PatternRule] = [
        _level("page_view_pricing", r"/(pricing|plans|quote)(/|\?|#|$)", 10),
        _level("page_view_demo", r"/(demo|contact-sales|request-a-demo|trial)(/|\?|#|$)", 12),
    ]
    campaign_weights: dict[str, NonNegative] = {}
    daily_caps: dict[str, NonNegative] = {"email_open": 3, "page_view": 20, "email_click": 9}
    half_life_days: float = Field(30, gt=0)

    @field_validator("points", "daily_caps", mode="before")
    @classmethod
    def _known_kinds(cls, values: object) -> object:
        if not isinstance(values, dict):
            return values
        unknown = set(values) - set(KINDS)
        if unknown:
            raise ValueError(
                f"unknown engagement kind(s) {', '.join(sorted(unknown))}; known: {', '.join(KINDS)}"
            )
        if "unsubscribe" in values:
            raise ValueError("unsubscribe is a negative rule: set negative.unsubscribe")
        return values

    @field_validator("pages")
    @classmethod
    def _pages_positive(cls, pages: list[PatternRule]) -> list[PatternRule]:
        if any(p.points < 0 for p in pages):
            raise ValueError("page points must be >= 0 (behaviour decays; negatives live in `negative`)")
        return pages


class Negative(_Section):
    unsubscribe: NonPositive = -50
    bounced: NonPositive = -30
    rejected: NonPositive = -100  # a lead rejected in the review queue (junk, not a real buyer)
    free_mail: NonPositive = -10
    competitor: NonPositive = -100
    competitor_domains: list[str] = []
    not_a_buyer: NonPositive = -40
    not_a_buyer_titles: str = (
        r"\b(student|intern|job[- ]?seeker|looking for (work|a job)|unemployed|graduate)\b"
    )

    @field_validator("not_a_buyer_titles")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        return PatternRule._compiles(pattern)


class Thresholds(_Section):
    mql: float = Field(100, gt=0)
    prospect_fit: float = Field(1, description="a known person with this fit or more is a prospect")
    emit_step: float = Field(5, gt=0, description="lead.scored only when the score moved this much")
    others: list[float] = Field(default_factory=list, description="more scores whose crossing emits")

    def all(self) -> list[float]:
        return sorted({self.mql, *self.others})


class ScoringModel(_Section):
    version: str = Field("default-2026.11", min_length=1)
    fit: Fit = Fit()
    behaviour: Behaviour = Behaviour()
    negative: Negative = Negative()
    thresholds: Thresholds = Thresholds()

    @classmethod
    def from_json(cls, text: str, source: str) -> ScoringModel:
        """The model in `text`; a `ModelError` naming every offending field otherwise."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelError(f"scoring model {source} is not JSON: {exc}") from None
        if not isinstance(raw, dict) or not raw.get("version"):
            raise ModelError(f"scoring model {source}: version: a model file must name its version")
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or 'model'}: {error['msg']}"
                for error in exc.errors()
            )
            raise ModelError(f"scoring model {source} is not valid: {problems}") from None
