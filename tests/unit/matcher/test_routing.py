"""Owner routing: the account's owner, else weighted round-robin in the country's pool."""

from collections import Counter

import pytest

from services.matcher.domain.routing import Member, Pool, assign, next_member, pool_for
from services.matcher.settings import MatcherSettings

EMEA = Pool("emea", ("DE", "FR"), (Member("ann", 2), Member("bob", 1), Member("cid", 3, active=False)))
REST = Pool("rest", (), (Member("zoe"),))


def test_the_accounts_owner_wins() -> None:
    assignment = assign("olga", "DE", [EMEA], {})
    assert assignment.owner == "olga" and assignment.reason == "the account's owner"


def test_the_pool_is_chosen_by_country_with_a_catch_all() -> None:
    assert pool_for("de", [EMEA, REST]) == EMEA
    assert pool_for("JP", [EMEA, REST]) == REST
    assert pool_for(None, [EMEA]) is None


def test_weighted_round_robin_skips_inactive_members() -> None:
    counts: Counter[str] = Counter()
    order = []
    for _ in range(9):
        member = next_member(EMEA, counts)
        assert member is not None
        counts[member.owner] += 1
        order.append(member.owner)
    assert counts == {"ann": 6, "bob": 3} and "cid" not in order
    assert order[:3] == ["ann", "bob", "ann"]


def test_the_reason_names_the_pool_and_the_turn() -> None:
    assignment = assign(None, "FR", [EMEA, REST], {"ann": 2, "bob": 0})
    assert assignment.owner == "bob" and assignment.pool == "emea"
    assert "weighted round-robin in territory pool emea" in assignment.reason


@pytest.mark.parametrize(
    ("pools", "reason"),
    [
        ([EMEA], "no territory pool covers country JP"),
        ([Pool("x", (), (Member("a", active=False),))], "no active"),
    ],
)
def test_no_owner_when_no_pool_or_member_can_take_it(pools: list[Pool], reason: str) -> None:
    assignment = assign(None, "JP", pools, {})
    assert assignment.owner is None and reason in assignment.reason


def test_territories_and_rules_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "MATCHER_TERRITORIES",
        '[{"name": "emea", "countries": ["de"], "members": [{"owner": "ann", "weight": 2}]}]',
    )
    monkeypatch.setenv("MATCHER_TIE_BREAKERS", "open_opp,customer")
    settings = MatcherSettings()
    assert settings.pools() == (Pool("emea", ("DE",), (Member("ann", 2),)),)
    assert settings.match_rules().tie_breakers == ("open_opp", "customer")
    monkeypatch.setenv("MATCHER_TIE_BREAKERS", "alphabetical")
    with pytest.raises(ValueError, match="unknown tie-breakers"):
        MatcherSettings()
