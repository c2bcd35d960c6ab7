from datetime import UTC, datetime

import pytest

from services.scoring.domain.rules import PersonFacts, behaviour_reason, fit_reasons, lifecycle_stage

NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("title", "rule", "points"),
    [
        ("Chief Revenue Officer", "title_c_level", 25.0),
        ("CTO", "title_c_level", 25.0),
        ("VP Sales", "title_vp", 20.0),
        ("Head of Marketing Ops", "title_director", 15.0),
        ("Engineering Manager", "title_manager", 10.0),
        ("Student", "title_not_a_buyer", -20.0),
        ("Marketing Intern", "title_not_a_buyer", -20.0),
    ],
)
def test_title_seniority(title: str, rule: str, points: float) -> None:
    assert [(r.rule, r.points) for r in fit_reasons(PersonFacts(title, None, False))] == [(rule, points)]


@pytest.mark.parametrize(
    ("employees", "points"), [(5000, 15.0), (200, 10.0), (50, 5.0), (49, 0.0), (None, 0.0)]
)
def test_company_size(employees: int | None, points: float) -> None:
    assert sum(r.points for r in fit_reasons(PersonFacts(None, employees, False))) == points


def test_free_mail_is_negative() -> None:
    assert [(r.rule, r.points) for r in fit_reasons(PersonFacts(None, None, True))] == [("free_mail", -10.0)]


@pytest.mark.parametrize(
    ("kind", "url", "rule", "points"),
    [
        ("page_view", "https://acme.com/pricing", "page_view_high_intent", 10.0),
        ("page_view", "https://acme.com/blog/pricing-tips", "page_view", 2.0),
        ("page_view", "https://acme.com/demo", "page_view_high_intent", 10.0),
        ("meeting", None, "meeting", 25.0),
        ("unsubscribe", None, "unsubscribe", -20.0),
    ],
)
def test_behaviour_points(kind: str, url: str | None, rule: str, points: float) -> None:
    reason = behaviour_reason(kind, url, NOW)
    assert (reason.rule, reason.points, reason.at) == (rule, points, NOW)


@pytest.mark.parametrize(
    ("score", "fit", "current", "expected"),
    [
        (0, 0, None, "suspect"),
        (10, 10, "suspect", "prospect"),
        (100, 20, "prospect", "mql"),
        (40, 20, "mql", "mql"),
        (5, 5, "sql", "sql"),
    ],
)
def test_lifecycle(score: float, fit: float, current: str | None, expected: str) -> None:
    assert lifecycle_stage(score, fit, current) == expected
