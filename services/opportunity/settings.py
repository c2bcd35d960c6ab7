"""Opportunity's settings, on the shared base."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from services.opportunity.domain.pipelines import ROLES
from shared.settings import Settings


class OpportunitySettings(Settings):
    opportunity_creation_policy: Literal["at_conversion", "never"] = Field(
        "at_conversion",
        description="Create (or join) the Acquisition opp when a lead converts, or never.",
    )
    opportunity_default_contact_role: str = Field(
        "influencer", description="Role given to a converted contact added to a buying group."
    )

    @field_validator("opportunity_default_contact_role")
    @classmethod
    def _known_role(cls, role: str) -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        return role
