"""The scoring model is configuration: defaults that work, and errors that say what is wrong."""

import json
from pathlib import Path

import pytest

from services.scoring.domain.model import ModelError, ScoringModel
from services.scoring.settings import ScoringSettings


def test_the_default_model_is_versioned_and_sensible() -> None:
    model = ScoringModel()
    assert model.version
    assert model.thresholds.mql == 100 and model.behaviour.half_life_days == 30
    assert model.behaviour.points["meeting"] > model.behaviour.points["email_open"]


def test_a_file_replaces_the_sections_it_names() -> None:
    model = ScoringModel.from_json(
        json.dumps({"version": "acme-3", "thresholds": {"mql": 80}, "behaviour": {"half_life_days": 14}}),
        "m.json",
    )
    assert (model.version, model.thresholds.mql, model.behaviour.half_life_days) == ("acme-3", 80, 14)
    assert model.fit == ScoringModel().fit


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"thresholds": {"mql": 80}}, "version: a model file must name its version"),
        ({"version": "v", "behaviour": {"points": {"pageview": 2}}}, "unknown engagement kind(s) pageview"),
        ({"version": "v", "behaviour": {"points": {"email_open": -1}}}, "behaviour.points.email_open"),
        ({"version": "v", "behaviour": {"points": {"unsubscribe": 0}}}, "set negative.unsubscribe"),
        ({"version": "v", "behaviour": {"half_life_days": 0}}, "behaviour.half_life_days"),
        ({"version": "v", "negative": {"free_mail": 5}}, "negative.free_mail"),
        (
            {"version": "v", "fit": {"seniority": [{"rule": "x", "pattern": "(", "points": 1}]}},
            "fit.seniority.0.pattern",
        ),
        ({"version": "v", "fit": {"bant": {"money": []}}}, "unknown: money"),
        ({"version": "v", "colour": "blue"}, "colour"),
    ],
)
def test_a_wrong_model_names_the_field(config: dict[str, object], message: str) -> None:
    with pytest.raises(ModelError, match=r"scoring model m\.json") as raised:
        ScoringModel.from_json(json.dumps(config), "m.json")
    assert message in str(raised.value)


def test_settings_refuse_a_bad_model_file_at_start(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text('{"version": "v2", "thresholds": {"emit_step": 0}}')
    with pytest.raises(ValueError, match=r"thresholds\.emit_step"):
        ScoringSettings(scoring_model_file=path)
    with pytest.raises(ValueError, match="cannot be read"):
        ScoringSettings(scoring_model_file=tmp_path / "missing.json")


def test_settings_half_life_overrides_the_model_and_marks_its_version() -> None:
    settings = ScoringSettings(scoring_half_life_days=7)
    assert settings.half_life.days == 7
    assert settings.scoring_model.version.endswith("+half-life-7d")
