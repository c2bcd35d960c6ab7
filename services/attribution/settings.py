"""Attribution's settings: the touch window, time decay's half-life, the rebuild's batches."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from services.attribution.domain.models import ModelName
from shared.settings import Settings


class AttributionSettings(Settings):
    attribution_lookback_days: float = Field(
        90.0, ge=0, le=3650, description="Touches count from this many days before an opp's creation."
    )
    attribution_half_life_days: float = Field(
        7.0, gt=0, le=3650, description="Time decay: a touch this many days before the latest weighs half."
    )
    attribution_default_model: ModelName = Field(
        "w_shaped", description="The model of a report that names none."
    )
    attribution_batch_size: int = Field(
        500, gt=0, le=10_000, description="Opps attributed per transaction by a rebuild or an as-of report."
    )

    @property
    def lookback(self) -> timedelta:
        return timedelta(days=self.attribution_lookback_days)

    @property
    def half_life(self) -> timedelta:
        return timedelta(days=self.attribution_half_life_days)
