"""Scoring's settings: the scoring model file and the decay pass, on the shared base."""

from __future__ import annotations

import pickle
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr

from services.scoring.domain.buying_group import DEFAULT_COMMITTEE
from services.scoring.domain.model import ModelError, ScoringModel
from services.scoring.domain.segments import BuiltInConfig, SegmentRule
from shared.settings import Settings


class ScoringSettings(Settings):
    scoring_model_file: Path | None = Field(
        None,
        description="JSON scoring model (version, fit, behaviour, negative, thresholds); built-in default "
        "when unset. Validated at start: a bad model stops the service, naming each wrong field.",
    )
    scoring_half_life_days: float | None = Field(
        None, gt=0, description="Half-life of behaviour points in days; overrides the model's (default 30)."
    )
    scoring_decay_interval_seconds: float = Field(
        60.0, gt=0, description="How often the decay pass looks for people whose decayed score is news."
    )
    scoring_decay_batch_size: int = Field(1000, gt=0, description="People rescored per decay transaction.")
    scoring_engaged_within_days: float = Field(
        30.0, gt=0, description="A buying-group member with no engagement for this long is not engaged."
    )
    scoring_committee_roles: list[str] = Field(
        default_factory=lambda: list(DEFAULT_COMMITTEE),
        description="Buying-committee roles whose coverage buying-group engagement reports.",
    )
    scoring_predictive_min_auc: float = Field(
        0.75,
        ge=0.5,
        le=1.0,
        description="A predictive model is used only when its validated ROC AUC reaches this.",
    )
    scoring_predictive_model_file: Path | None = Field(
        None,
        description="A model saved by `cascade scoring evaluate --save`; scores show its 0-100 likelihood "
        "only when its validated AUC reaches SCORING_PREDICTIVE_MIN_AUC.",
    )
    scoring_segments: list[SegmentRule] = Field(
        default_factory=list,
        description='JSON list of configured segments: {"segment_id", "name", "all": [{"field", "op", '
        '"value"}]}; fields score, fit, behaviour, employees, days_since_engaged (gt gte lt lte eq ne) and '
        "lifecycle_stage, title, country, industry, member_status, opp_stage, buying_role (eq ne in not_in "
        "contains). Validated at start.",
    )
    scoring_segment_exclusion_stages: list[str] = Field(
        default_factory=lambda: ["qualified", "pipeline", "negotiation", "proposal"],
        description="Open-opp stages whose confirmed members form the exclusion segment.",
    )
    scoring_mql_sla_hours: float = Field(
        48.0, gt=0, description="An MQL not accepted (SAL) by sales within this joins mql-not-accepted."
    )
    scoring_segment_interval_seconds: float = Field(
        60.0, ge=0, description="How often people whose segments time alone changes are looked at (0: never)."
    )
    _model: ScoringModel = PrivateAttr()
    _predictive: Any = PrivateAttr(None)
    _predictive_note: str = PrivateAttr("no predictive model configured")

    def model_post_init(self, context: object, /) -> None:
        """Load and validate the scoring model now, so a bad one stops the service at start."""
        model = ScoringModel()
        if self.scoring_model_file is not None:
            try:
                text = self.scoring_model_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ModelError(f"scoring model {self.scoring_model_file} cannot be read: {exc}") from None
            model = ScoringModel.from_json(text, str(self.scoring_model_file))
        if self.scoring_half_life_days is not None:
            behaviour = model.behaviour.model_copy(update={"half_life_days": self.scoring_half_life_days})
            version = f"{model.version}+half-life-{self.scoring_half_life_days:g}d"
            model = model.model_copy(update={"behaviour": behaviour, "version": version})
        self._model = model
        if self.scoring_predictive_model_file is not None:
            self._load_predictive(self.scoring_predictive_model_file)

    def _load_predictive(self, path: Path) -> None:
        from services.scoring.predictive.model_file import load

        try:
            saved = load(path)
        except (OSError, ValueError, EOFError, ImportError, AttributeError, pickle.UnpicklingError) as exc:
            raise ValueError(f"predictive model {path} cannot be loaded: {exc}") from None
        if saved.usable(self.scoring_predictive_min_auc):
            self._predictive = saved
            self._predictive_note = (
                f"{saved.candidate}, validated ROC AUC {saved.auc:.3f} on {saved.rows} rows"
            )
        else:
            self._predictive_note = (
                f"not used: validated ROC AUC {saved.auc:.3f} is below {self.scoring_predictive_min_auc}"
            )

    @property
    def predictive(self) -> Any:
        """The saved predictive model when it is usable, else None (see `predictive_note`)."""
        return self._predictive

    @property
    def predictive_note(self) -> str:
        return self._predictive_note

    @property
    def segment_config(self) -> BuiltInConfig:
        return BuiltInConfig(
            exclusion_stages=frozenset(self.scoring_segment_exclusion_stages),
            engaged_within=timedelta(days=self.scoring_engaged_within_days),
            mql_sla=timedelta(hours=self.scoring_mql_sla_hours),
            committee=frozenset(self.scoring_committee_roles),
        )

    @property
    def scoring_model(self) -> ScoringModel:
        return self._model

    @property
    def half_life(self) -> timedelta:
        return timedelta(days=self._model.behaviour.half_life_days)
