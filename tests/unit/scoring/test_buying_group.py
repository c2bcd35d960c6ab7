from datetime import UTC, datetime, timedelta

from services.scoring.domain.buying_group import DEFAULT_COMMITTEE, Member, group_engagement

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_totals_engaged_and_roles_not_covered() -> None:
    members = [
        Member("c1", ("champion",), 40.0, 70.0, NOW - timedelta(days=2)),
        Member("c2", ("economic_buyer", "decision_maker"), 10.0, 30.0, NOW - timedelta(days=45)),
        Member("c3", ("user",), 0.0, 5.0, None),
    ]
    group = group_engagement(members, now=NOW, engaged_within=timedelta(days=30), committee=DEFAULT_COMMITTEE)
    assert (group.total, group.average) == (50.0, 16.67)
    assert group.engaged == ["c1"] and group.not_engaged == ["c2", "c3"]
    assert group.roles_covered == ["decision_maker", "economic_buyer", "champion"]
    assert group.roles_not_covered == ["influencer", "technical_buyer"]
    assert [m.contact_id for m in group.members] == ["c1", "c2", "c3"]


def test_an_empty_group_covers_nothing() -> None:
    group = group_engagement([], now=NOW, engaged_within=timedelta(days=30), committee=DEFAULT_COMMITTEE)
    assert (group.total, group.average, group.roles_not_covered) == (0.0, 0.0, list(DEFAULT_COMMITTEE))
