import pytest
from pydantic import ValidationError

from services.opportunity.domain.pipelines import COMMITTEE_ROLES, DEFAULT_PIPELINES
from services.opportunity.settings import OpportunitySettings
from shared.settings import Settings


def test_api_keys_come_as_csv_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEYS", "aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbb")
    assert Settings().api_keys == ["aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb"]
    monkeypatch.setenv("API_KEYS", '["cccccccccccccccccccc"]')
    assert Settings().api_keys == ["cccccccccccccccccccc"]


@pytest.mark.parametrize("key", ["changeme", "short"])
def test_placeholder_or_short_keys_are_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="API keys"):
        Settings(api_keys=[key])


def test_unknown_default_contact_role_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown role 'buyer'"):
        OpportunitySettings(opportunity_default_contact_role="buyer")


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
