"""Each rule kind of the default scoring model: fit, BANT, negative, behaviour, caps, campaigns."""

from datetime import UTC, datetime

import pytest

from services.scoring.domain.model import ScoringModel
from services.scoring.domain.rules import (
    PersonFacts,
    bant_answers,
    behaviour_reason,
    fit_reasons,
    negative_reasons,
)

NOW = datetime(2026, 11, 23, tzinfo=UTC)
MODEL = ScoringModel()


def fit(**facts: object) -> list[tuple[str, float]]:
    return [(r.rule, r.points) for r in fit_reasons(MODEL, PersonFacts(**facts), NOW)]  # type: ignore[arg-type]


def negative(**facts: object) -> list[tuple[str, float]]:
    return [(r.rule, r.points) for r in negative_reasons(MODEL, PersonFacts(**facts), NOW)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Chief Revenue Officer", [("seniority_c_level", 25.0), ("department_revenue", 10.0)]),
        ("CTO", [("seniority_c_level", 25.0), ("department_technology", 5.0)]),
        ("VP Sales", [("seniority_vp", 20.0), ("department_revenue", 10.0)]),
        ("Head of Marketing Ops", [("seniority_director", 15.0), ("department_revenue", 10.0)]),
        ("Engineering Manager", [("seniority_manager", 10.0), ("department_technology", 5.0)]),
        ("Procurement Analyst", [("department_finance", 5.0)]),
        ("Barista", []),
    ],
)
def test_title_gives_seniority_and_department(title: str, expected: list[tuple[str, float]]) -> None:
    assert fit(title=title) == expected


@pytest.mark.parametrize(
    ("employees", "expected"),
    [(5000, [("employees_1000_plus", 15.0)]), (200, [("employees_200_999", 10.0)]), (49, []), (None, [])],
)
def test_company_size_bands(employees: int | None, expected: list[tuple[str, float]]) -> None:
    assert fit(employees=employees) == expected


def test_industry_and_country_against_the_icp() -> None:
    assert fit(industry="SaaS", country="us") == [("industry_icp", 10.0), ("country_core_market", 10.0)]
    assert fit(industry="Mining", country="BE") == [("country_served", 5.0)]


def test_bant_answers_from_form_properties_score_fit() -> None:
    answers = bant_answers(
        MODEL,
        {"Budget": "Approved", "role_in_purchase": "Decision maker", "timeline": "this quarter", "x": 1},
    )
    assert answers == {"budget": "Approved", "authority": "Decision maker", "timing": "this quarter"}
    assert fit(answers=answers) == [
        ("bant_budget_approved", 15.0),
        ("bant_authority_decision_maker", 15.0),
        ("bant_timing_this_quarter", 10.0),
    ]
    assert fit(answers={"budget": "no budget yet"}) == []


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"title": "Student"}, [("not_a_buyer_title", -40.0)]),
        ({"title": "Job seeker"}, [("not_a_buyer_title", -40.0)]),
        ({"is_free_mail": True}, [("free_mail", -10.0)]),
        ({"unsubscribed": True}, [("unsubscribed", -50.0)]),
        ({"bounced": True}, [("email_bounced", -30.0)]),
        ({"rejected": True}, [("lead_rejected", -100.0)]),
        ({"title": "CEO"}, []),
    ],
)
def test_negative_rules(facts: dict[str, object], expected: list[tuple[str, float]]) -> None:
    assert negative(**facts) == expected


def test_competitor_domain_and_its_subdomains() -> None:
    model = ScoringModel(negative={"competitor_domains": ["rival.com"]})  # type: ignore[arg-type]
    for domain, hit in (("rival.com", True), ("eu.rival.com", True), ("notrival.com", False)):
        reasons = negative_reasons(model, PersonFacts(email_domain=domain))
        assert [r.rule for r in reasons] == (["competitor_domain"] if hit else [])


@pytest.mark.parametrize(
    ("kind", "url", "rule", "points"),
    [
        ("page_view", "https://acme.com/pricing", "page_view_pricing", 10.0),
        ("page_view", "https://acme.com/pricing?plan=pro", "page_view_pricing", 10.0),
        ("page_view", "https://acme.com/blog/pricing-tips", "page_view", 2.0),
        ("page_view", "https://acme.com/demo/", "page_view_demo", 12.0),
        ("webinar_registered", None, "webinar_registered", 5.0),
        ("webinar_attended", None, "webinar_attended", 15.0),
        ("meeting", None, "meeting", 25.0),
        ("unsubscribe", None, "unsubscribe", 0.0),
    ],
)
def test_behaviour_points(kind: str, url: str | None, rule: str, points: float) -> None:
    reason = behaviour_reason(MODEL, kind=kind, url=url, campaign=None, at=NOW)
    assert (reason.rule, reason.points, reason.at) == (rule, points, NOW)


def test_campaign_weight_multiplies_points() -> None:
    model = ScoringModel(behaviour={"campaign_weights": {"q4-launch": 2.0}})  # type: ignore[arg-type]
    reason = behaviour_reason(model, kind="download", url=None, campaign="q4-launch", at=NOW)
    assert (reason.rule, reason.points) == ("download x2 (q4-launch)", 20.0)
    assert behaviour_reason(model, kind="download", url=None, campaign="other", at=NOW).points == 10.0


@pytest.mark.parametrize(("used", "points"), [(0.0, 1.0), (2.0, 1.0), (2.5, 0.5), (3.0, 0.0), (9.0, 0.0)])
def test_daily_cap_per_kind(used: float, points: float) -> None:
    reason = behaviour_reason(MODEL, kind="email_open", url=None, campaign=None, at=NOW, used_today=used)
    assert reason.points == points
    assert ("daily cap" in reason.rule) == (points < 1.0)
