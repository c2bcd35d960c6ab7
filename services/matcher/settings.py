"""Matcher's settings, on the shared base: thresholds, tie-breakers, policies, territories."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import NoDecode

from services.matcher.domain.matching import TIE_BREAKERS, MatchRules
from services.matcher.domain.routing import Member, Pool
from shared.settings import Settings


class PoolIn(BaseModel):
    name: str
    countries: list[str] = Field(default_factory=list, description="ISO codes; empty = every country")
    members: list[Member]


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
    matcher_review_sla_hours: float = Field(
        24.0, gt=0, description="Review items older than this are flagged as over their SLA."
    )
    matcher_territories: Annotated[list[PoolIn], NoDecode] = Field(
        default_factory=list,
        description='Owner pools for new accounts, JSON: [{"name": "emea", "countries": ["DE", "FR"], '
        '"members": [{"owner": "ann", "weight": 2, "active": true}]}]; a pool without countries '
        "takes every other country.",
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

    @field_validator("matcher_territories", mode="before")
    @classmethod
    def _parse_pools(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

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

    def pools(self) -> tuple[Pool, ...]:
        return tuple(
            Pool(p.name, tuple(c.upper() for c in p.countries), tuple(p.members))
            for p in self.matcher_territories
        )
