"""Opportunity's settings, on the shared base; the pipelines are validated when they load."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal, Self, get_args

from pydantic import BaseModel, Field, model_validator

from services.opportunity.domain.config import build_pipelines
from services.opportunity.domain.engagement import EngagementRule
from services.opportunity.domain.identification import GroupRules
from services.opportunity.domain.personas import DEFAULT_PERSONAS, Persona
from services.opportunity.domain.pipelines import COMMITTEE_ROLES, ROLES, Pipelines
from shared.events.catalog import EngagementKind
from shared.settings import Settings


class PersonaIn(BaseModel):
    role: str
    seniority: list[str] = []
    department: list[str] = []
    title: str | None = Field(None, max_length=200)
    reason: str = ""

    @classmethod
    def of(cls, persona: Persona) -> PersonaIn:
        return cls(
            role=persona.role,
            seniority=list(persona.seniority),
            department=list(persona.department),
            title=persona.title,
            reason=persona.reason,
        )

    def persona(self) -> Persona:
        return Persona(self.role, tuple(self.seniority), tuple(self.department), self.title, self.reason)


class OpportunitySettings(Settings):
    opportunity_creation_policy: Literal["at_conversion", "never"] = Field(
        "at_conversion",
        description="Create (or join) the Acquisition opp when a lead converts, or never.",
    )
    opportunity_personas: list[PersonaIn] = Field(
        default_factory=lambda: [PersonaIn.of(p) for p in DEFAULT_PERSONAS],
        description="JSON list of persona rules suggesting a potential member's role, first match wins:"
        ' [{"role": "economic_buyer", "seniority": ["c_level", "vp"], "department": ["finance"],'
        ' "title": "cfo|controller", "reason": "the finance leader signs"}].',
    )
    opportunity_buying_group_keys: list[str] = Field(
        default_factory=list,
        description="JSON list of buying-group keys (product lines, business units) an opp may carry;"
        " empty: one buying group per account and type.",
    )
    opportunity_group_by_campaign: dict[str, str] = Field(
        default_factory=dict, description="JSON campaign -> buying-group key, for inbound identification."
    )
    opportunity_group_by_department: dict[str, str] = Field(
        default_factory=dict, description="JSON department -> buying-group key (when no campaign names one)."
    )
    opportunity_engagement_automation: bool = Field(
        True,
        description="Move target -> active when a person of the account engages, active -> engaged when"
        " OPPORTUNITY_ENGAGED_PEOPLE distinct people do within OPPORTUNITY_ENGAGEMENT_WINDOW_DAYS.",
    )
    opportunity_engaged_people: int = Field(2, ge=1, description="Distinct people engaged to reach engaged.")
    opportunity_engagement_window_days: float = Field(30.0, gt=0, description="Window of account engagement.")
    opportunity_engagement_kinds: list[str] = Field(
        default_factory=lambda: [k for k in get_args(EngagementKind) if k != "unsubscribe"],
        description="Engagement kinds that count as a person engaging (JSON list).",
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
    opportunity_accept_hours: float = Field(
        24.0, gt=0, description="How long a stage owner has to accept a handoff before it escalates."
    )
    opportunity_reassign_hours: float = Field(
        24.0,
        gt=0,
        description="How long after the escalation an unaccepted handoff goes to the next in the pool.",
    )
    opportunity_handoff_scan_seconds: float = Field(
        60.0,
        ge=0,
        description="How often unaccepted handoffs are escalated and reassigned; 0 switches it off.",
    )
    opportunity_lead_routing: bool = Field(
        True, description="Route people as scoring moves their lifecycle: MQLs to sales, nurture, recycle."
    )
    opportunity_mql_pool_team: Literal["sdr", "sales"] = Field(
        "sdr", description="Whose territory pool takes an MQL when the account's AE cannot."
    )
    opportunity_mql_accept_hours: float = Field(24.0, gt=0, description="An MQL's route: accept-by time.")
    opportunity_nurture_days: float = Field(
        90.0, gt=0, description="Marketing's clock for a nurtured person."
    )
    opportunity_recycle_days: float = Field(
        60.0, gt=0, description="Marketing's clock for a recycled person."
    )
    opportunity_sla_scan_seconds: float = Field(
        60.0, ge=0, description="How often SLA breaches are looked for; 0 switches the scan off."
    )
    opportunity_sla_escalation_factor: float = Field(
        1.0,
        ge=0,
        description="A breach still unanswered this many times the stage's SLA after it escalates"
        " (`opp.sla_escalated`, to RevOps); 0 switches escalation off.",
    )

    @model_validator(mode="after")
    def _valid_pipelines(self) -> Self:
        roles = set(self.opportunity_roles)
        if unknown := sorted({p.role for p in self.opportunity_personas} - roles):
            raise ValueError(f"personas name unknown roles {unknown}; roles are {', '.join(sorted(roles))}")
        keys = set(self.opportunity_group_by_campaign.values()) | set(
            self.opportunity_group_by_department.values()
        )
        allowed = set(self.opportunity_buying_group_keys)
        if allowed and (unknown := sorted(keys - allowed)):
            raise ValueError(f"group rules name unknown buying-group keys {unknown}")
        _ = self.pipelines
        return self

    @cached_property
    def personas(self) -> tuple[Persona, ...]:
        return tuple(p.persona() for p in self.opportunity_personas)

    @cached_property
    def group_rules(self) -> GroupRules:
        by_campaign = {k.lower(): v for k, v in self.opportunity_group_by_campaign.items()}
        return GroupRules(by_campaign=by_campaign, by_department=self.opportunity_group_by_department)

    @cached_property
    def engagement_rule(self) -> EngagementRule:
        return EngagementRule(
            to_engaged=self.opportunity_engaged_people, window_days=self.opportunity_engagement_window_days
        )

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
