"""Matcher's settings, on the shared base: thresholds, tie-breakers, policies (reps and pools are
data: `PUT /v1/reps`, `PUT /v1/pools`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from services.matcher.domain.matching import TIE_BREAKERS, MatchRules
from shared.settings import Settings


class MatcherSettings(Settings):
    matcher_auto_threshold: float = Field(
        0.9, ge=0, le=1, description="At or above this confidence a lead converts on its own."
    )
    matcher_review_threshold: float = Field(
        0.7, ge=0, le=1, description="From here up to the auto threshold a lead goes to the review queue."
    )
    matcher_tie_breakers: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(TIE_BREAKERS),
        description="Order of the rules that break a tie between candidates (CSV).",
    )
    matcher_no_match_policy: Literal["create_account", "review"] = Field(
        "create_account",
        description="No match: found an account from the lead (option 1) or queue it for review (option 2).",
    )
    matcher_owner_scan_seconds: float = Field(
        60.0, ge=0, description="How often accounts of inactive owners get an active one; 0 switches it off."
    )
    matcher_review_sla_hours: float = Field(
        24.0, gt=0, description="Review items older than this are flagged as over their SLA."
    )

    @field_validator("matcher_tie_breakers", mode="before")
    @classmethod
    def _split_rules(cls, value: object) -> object:
        if isinstance(value, str):
            return [rule.strip() for rule in value.split(",") if rule.strip()]
        return value

    @field_validator("matcher_tie_breakers")
    @classmethod
    def _known_rules(cls, rules: list[str]) -> list[str]:
        unknown = [rule for rule in rules if rule not in TIE_BREAKERS]
        if unknown:
            raise ValueError(f"unknown tie-breakers {unknown}; known: {', '.join(TIE_BREAKERS)}")
        return rules

    @model_validator(mode="after")
    def _ordered_thresholds(self) -> MatcherSettings:
        if self.matcher_review_threshold > self.matcher_auto_threshold:
            raise ValueError("MATCHER_REVIEW_THRESHOLD must not exceed MATCHER_AUTO_THRESHOLD")
        return self

    def match_rules(self) -> MatchRules:
        return MatchRules(
            auto=self.matcher_auto_threshold,
            review=self.matcher_review_threshold,
            tie_breakers=tuple(self.matcher_tie_breakers),
        )
