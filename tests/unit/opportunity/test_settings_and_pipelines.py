import json
from typing import Any

import pytest
from pydantic import ValidationError

from deploy.cli import serve_service
from services.opportunity.domain.config import ConfigError, build_pipelines
from services.opportunity.domain.pipelines import COMMITTEE_ROLES, DEFAULT_PIPELINES, ROLES, Gate
from services.opportunity.settings import OpportunitySettings
from shared.settings import Settings


def test_api_keys_come_as_csv_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEYS", "aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbb")
    assert Settings().api_keys == ["aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb"]
    monkeypatch.setenv("API_KEYS", '["cccccccccccccccccccc"]')
    assert Settings().api_keys == ["cccccccccccccccccccc"]


@pytest.mark.parametrize("key", ["changeme", "short"])
def test_placeholder_or_short_keys_are_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="must be at least 16 characters"):
        Settings(api_keys=[key])


def test_a_persona_or_a_group_rule_naming_what_does_not_exist_is_refused() -> None:
    with pytest.raises(ValidationError, match="personas name unknown roles"):
        OpportunitySettings(opportunity_personas=[{"role": "buyer", "seniority": ["vp"]}])
    with pytest.raises(ValidationError, match="unknown buying-group keys"):
        OpportunitySettings(
            opportunity_buying_group_keys=["payments"], opportunity_group_by_department={"it": "hardware"}
        )


def test_default_pipelines_follow_the_domain_table() -> None:
    acquisition = DEFAULT_PIPELINES["acquisition"]
    assert [s.name for s in acquisition.stages] == [
        "target",
        "active",
        "engaged",
        "prioritized",
        "qualified",
        "pipeline",
        "closed_won",
        "closed_lost",
    ]
    assert [s.gate.roles_covered for s in acquisition.stages[:6]] == [0, 1, 1, 2, 3, 4]
    assert acquisition.stage("prioritized").last_marketing and acquisition.stage("qualified").sdr
    assert acquisition.stage("pipeline").gate.roles_required == ("economic_buyer",)
    assert acquisition.stage("pipeline").gate.fields_required == ("amount", "close_date")
    assert [s.name for s in DEFAULT_PIPELINES["renewal"].stages] == [
        "upcoming",
        "engaged",
        "negotiation",
        "closed_won",
        "closed_lost",
    ]
    for kind in ("upsell", "cross_sell"):
        assert [s.name for s in DEFAULT_PIPELINES[kind].stages][:3] == ["identified", "qualified", "proposal"]
    assert len(COMMITTEE_ROLES) == 5


def test_default_gates_and_teams_follow_the_domain_table() -> None:
    acquisition = DEFAULT_PIPELINES["acquisition"]
    assert [s.team for s in acquisition.stages[:6]] == ["marketing"] * 4 + ["sdr", "sales"]
    assert acquisition.stage("closed_won").gate == acquisition.stage("pipeline").gate
    assert acquisition.stage("closed_lost").gate == Gate()
    renewal = DEFAULT_PIPELINES["renewal"]
    assert {s.team for s in renewal.stages} == {"customer_success"}
    assert [s.gate.roles_covered for s in renewal.stages[:3]] == [0, 1, 2]
    assert renewal.stage("negotiation").gate.roles_required == ("economic_buyer",)
    assert renewal.stage("closed_won").gate == Gate(fields_required=("amount", "close_date"))
    for kind in ("upsell", "cross_sell"):
        expansion = DEFAULT_PIPELINES[kind]
        assert [s.gate.roles_covered for s in expansion.stages[:3]] == [0, 1, 2]
        assert expansion.stage("proposal").gate.fields_required == ("amount", "close_date")
        assert {s.team for s in expansion.stages} == {"sales"}
    assert COMMITTEE_ROLES == (
        "decision_maker",
        "economic_buyer",
        "champion",
        "influencer",
        "technical_buyer",
    )
    assert set(ROLES) - set(COMMITTEE_ROLES) == {"evaluator", "user", "other"}


def test_settings_load_the_defaults_and_can_switch_expansion_off() -> None:
    settings = OpportunitySettings(opportunity_cross_sell_enabled=False)
    assert settings.pipelines["acquisition"] == DEFAULT_PIPELINES["acquisition"]
    assert settings.pipelines.enabled("upsell") and not settings.pipelines.enabled("cross_sell")


def _stages(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": "upcoming", "team": "customer_success"},
        *extra,
        {"name": "closed_won", "team": "customer_success"},
        {"name": "closed_lost", "team": "customer_success"},
    ]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"renewals": _stages()},
            "unknown opportunity type 'renewals'; types are acquisition, renewal, upsell, cross_sell",
        ),
        (
            {"renewal": _stages()[:2]},
            "pipeline 'renewal' must have open stages and end with closed_won, closed_lost",
        ),
        (
            {"renewal": _stages({"name": "upcoming", "team": "customer_success"})},
            "pipeline 'renewal' names stage 'upcoming' twice",
        ),
        (
            {"renewal": _stages({"name": "demo", "team": "sales"})},
            "pipeline 'renewal' stage 'demo' has no stamp column; stages with stamp columns are "
            "target, active",
        ),
        (
            {"renewal": _stages({"name": "engaged", "team": "finance"})},
            "pipeline 'renewal' stage 'engaged': unknown team 'finance'; teams are marketing, sdr, sales, "
            "customer_success",
        ),
        (
            {"renewal": _stages({"name": "engaged", "team": "sales", "roles_covered": 6})},
            "pipeline 'renewal' stage 'engaged': the gate needs 6 committee roles but the committee has 5",
        ),
        (
            {"renewal": _stages({"name": "engaged", "team": "sales", "roles_required": ["ceo"]})},
            "pipeline 'renewal' stage 'engaged': the gate requires unknown role 'ceo'; "
            "roles are decision_maker",
        ),
        (
            {"renewal": _stages({"name": "engaged", "team": "sales", "fields_required": ["budget"]})},
            "pipeline 'renewal' stage 'engaged': the gate requires unknown field 'budget'; fields are amount",
        ),
        (
            {"renewal": _stages({"name": "engaged", "team": "sales", "sla_hours": 0})},
            "pipeline 'renewal' stage 'engaged': sla_hours must be positive",
        ),
        (
            {"renewal": _stages({"name": "engaged", "team": "sales", "gate": 2})},
            "pipeline 'renewal' stage 'engaged': unknown keys gate; keys are",
        ),
        (
            {"renewal": _stages({"name": "engaged", "team": "sales", "last_marketing": True})},
            "pipeline 'renewal': a last marketing stage and an SDR stage go together",
        ),
        (
            {
                "renewal": _stages(
                    {"name": "engaged", "team": "sdr", "sdr": True},
                    {"name": "negotiation", "team": "marketing", "last_marketing": True},
                )
            },
            "pipeline 'renewal': the SDR stage 'engaged' must come after the last marketing stage "
            "'negotiation'",
        ),
    ],
)
def test_a_wrong_pipeline_configuration_says_exactly_what_is_wrong(
    config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        OpportunitySettings(opportunity_pipelines=config)
    assert message in str(refused.value)


def test_wrong_roles_are_refused() -> None:
    with pytest.raises(ValidationError, match="committee role 'ceo' is not in the roles list"):
        OpportunitySettings(opportunity_committee_roles=["ceo"])
    with pytest.raises(ConfigError, match="only upsell and cross_sell can be switched off"):
        build_pipelines(roles=ROLES, committee=COMMITTEE_ROLES, disabled=["renewal"])


def test_pipelines_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    stages = _stages({"name": "negotiation", "team": "customer_success", "roles_covered": 1, "sla_hours": 48})
    monkeypatch.setenv("OPPORTUNITY_PIPELINES", json.dumps({"renewal": stages}))
    renewal = OpportunitySettings().pipelines["renewal"]
    assert renewal.names == ("upcoming", "negotiation", "closed_won", "closed_lost")
    assert renewal.stage("negotiation").gate == Gate(1) and renewal.stage("negotiation").sla_hours == 48.0


def test_serve_refuses_a_wrong_configuration_with_its_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPPORTUNITY_PIPELINES", json.dumps({"renewal": _stages()[:1]}))
    with pytest.raises(SystemExit) as stopped:
        serve_service("opportunity", "127.0.0.1", 0)
    assert str(stopped.value) == (
        "cascade serve opportunity: invalid settings: settings: Value error, "
        "pipeline 'renewal' must have open stages and end with closed_won, closed_lost"
    )
