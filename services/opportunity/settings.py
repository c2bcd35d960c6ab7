"""Opportunity's settings, on the shared base; the pipelines are validated when they load."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from services.opportunity.domain.config import build_pipelines
from services.opportunity.domain.pipelines import COMMITTEE_ROLES, ROLES, Pipelines
from shared.settings import Settings


class OpportunitySettings(Settings):
    opportunity_creation_policy: Literal["at_conversion", "never"] = Field(
        "at_conversion",
        description="Create (or join) the Acquisition opp when a lead converts, or never.",
    )
    opportunity_default_contact_role: str = Field(
        "influencer", description="Role given to a converted contact added to a buying group."
    )
    opportunity_pipelines: dict[str, list[dict[str, Any]]] | None = Field(
        None,
        description="JSON {type: [stage, ...]} replacing those types' default pipelines"
        " (docs/opportunities.md: Pipelines).",
    )
    opportunity_roles: list[str] = Field(list(ROLES), description="Contact roles an OCR may carry (JSON).")
    opportunity_committee_roles: list[str] = Field(
        list(COMMITTEE_ROLES), description="Roles that count towards buying-group coverage (JSON)."
    )
    opportunity_upsell_enabled: bool = Field(True, description="Upsell opps exist.")
    opportunity_cross_sell_enabled: bool = Field(True, description="Cross-sell opps exist.")
    opportunity_score_automation: bool = Field(
        True, description="Move last-marketing-stage opps to the SDR stage when a member's score is high."
    )
    opportunity_score_threshold: float = Field(100.0, description="Score a member must exceed.")
    opportunity_renewal_automation: bool = Field(True, description="Closed won creates the Renewal opp.")
    opportunity_expansion_automation: bool = Field(
        True, description="Closed won also creates Upsell/Cross-sell opps (those enabled)."
    )
    opportunity_default_term_months: int = Field(
        12, ge=1, le=120, description="Contract term when a won opp has none."
    )
    opportunity_sla_scan_seconds: float = Field(
        60.0, ge=0, description="How often SLA breaches are looked for; 0 switches the scan off."
    )

    @model_validator(mode="after")
    def _valid_pipelines(self) -> Self:
        if self.opportunity_default_contact_role not in self.opportunity_roles:
            raise ValueError(
                f"unknown role {self.opportunity_default_contact_role!r}; "
                f"roles are {', '.join(self.opportunity_roles)}"
            )
        _ = self.pipelines
        return self

    @cached_property
    def pipelines(self) -> Pipelines:
        disabled = [
            kind
            for kind, enabled in (
                ("upsell", self.opportunity_upsell_enabled),
                ("cross_sell", self.opportunity_cross_sell_enabled),
            )
            if not enabled
        ]
        return build_pipelines(
            self.opportunity_pipelines,
            roles=self.opportunity_roles,
            committee=self.opportunity_committee_roles,
            disabled=disabled,
        )
