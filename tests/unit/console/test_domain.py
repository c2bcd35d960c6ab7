"""The console's pure view logic: gate status and SLA badges on cards, the board's columns,
report tables and charts from the services' answers as they come (numerics as strings), roles
and sign-in throttling (the OIDC checks are in test_oidc.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.console.domain import charts
from services.console.domain.board import StageDef, board, coverage, gate_status, sla_badge
from services.console.domain.roles import ROLES, may, refusal
from services.console.domain.text import duration, label, money, routed_to
from services.console.domain.users import Failures, password_problem, throttled, username_problem

COMMITTEE = ("decision_maker", "economic_buyer", "champion", "influencer", "technical_buyer")
STAGES = [
    StageDef("target", "marketing"),
    StageDef("active", "marketing", roles_covered=1),
    StageDef(
        "pipeline",
        "sales",
        roles_covered=4,
        roles_required=("economic_buyer",),
        fields_required=("amount", "close_date"),
    ),
    StageDef("closed_won", "sales", closed=True),
    StageDef("closed_lost", "sales", closed=True),
]
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def opp(stage: str, roles: Sequence[tuple[str | None, str]] = (), **fields: Any) -> dict[str, Any]:
    members = [{"contact_id": f"c{n}", "role": r, "status": s} for n, (r, s) in enumerate(roles)]
    return {"opp_id": "o", "account_id": "a", "stage": stage, "contact_roles": members, **fields}


@pytest.mark.parametrize(
    ("the_opp", "ready", "text"),
    [
        (opp("target"), False, "Active needs 1 more committee role(s)"),
        (opp("target", [(None, "potential")]), False, "Active needs 1 more committee role(s)"),
        (opp("target", [("champion", "confirmed")]), True, "ready for Active"),
        (opp("target", [("user", "confirmed")]), False, "Active needs 1 more committee role(s)"),
        (
            opp("active", [("champion", "confirmed")]),
            False,
            "Pipeline needs Economic buyer; 3 more committee role(s); Amount, Close date",
        ),
        (
            opp("active", [(r, "confirmed") for r in COMMITTEE[:4]], amount=10.0, close_date="2027-01-01"),
            True,
            "ready for Pipeline",
        ),
        (opp("pipeline"), True, "ready to close"),
        (opp("target", closed_at="2026-12-01T00:00:00Z"), False, "closed"),
    ],
)
def test_gate_status_says_what_the_next_stage_needs(the_opp: dict[str, Any], ready: bool, text: str) -> None:
    status = gate_status(the_opp, STAGES, COMMITTEE)
    assert (status.ready, status.text) == (ready, text)


def test_sla_badges() -> None:
    assert sla_badge(None, NOW).kind == "none"
    assert (
        sla_badge({"state": "breached", "overdue_by_seconds": 93600}, NOW).text == "SLA breached 1 d 2 h ago"
    )
    due = {"state": "ok", "due_at": (NOW + timedelta(hours=5, minutes=30)).isoformat()}
    assert sla_badge(due, NOW).text == "SLA in 5 h 30 min"


def test_the_board_has_a_column_per_open_stage_with_counts_and_cards() -> None:
    columns = board(
        STAGES, {"target": 30, "active": 1}, {"target": [opp("target", amount=1500.5)]}, COMMITTEE, NOW
    )
    assert [(c.stage, c.count, len(c.cards), c.more) for c in columns] == [
        ("target", 30, 1, 29),
        ("active", 1, 0, 1),
        ("pipeline", 0, 0, 0),
    ]
    assert columns[0].cards[0].amount == "1,500.50" and columns[0].cards[0].owner == "no owner"


def test_coverage_counts_confirmed_committee_roles_only() -> None:
    found = coverage(
        opp("target", [("champion", "confirmed"), (None, "potential"), ("user", "confirmed")]), COMMITTEE
    )
    assert found.present == ["champion"] and found.text == "1 of 5 committee roles"


def test_reports_read_numerics_given_as_strings_and_keep_the_csv_raw() -> None:
    aging = charts.aging(
        {
            "type": "acquisition",
            "stages": [
                {"stage": "active", "opps": 3, "median_days": "4.25", "max_days": "9", "breached": 1},
                {"stage": "target", "opps": 1200, "median_days": None, "max_days": "1.5", "breached": 0},
            ],
        },
        ["target", "active"],
    )
    assert aging.rows == [["target", 1200, None, 1.5, 0], ["active", 3, 4.25, 9.0, 1]]
    assert aging.shown[0] == ["Target", "1,200", "-", "1.5", "0"]
    assert aging.chart["data"]["datasets"][0]["data"] == [None, 4.25]
    funnel = charts.funnel(
        {
            "type": "acquisition",
            "total": 4,
            "win_rate": 0.25,
            "stages": [
                {
                    "stage": "target",
                    "team": "marketing",
                    "reached": 4,
                    "current": 1,
                    "conversion_to_next": "0.5",
                }
            ],
        }
    )
    assert funnel.title == "Acquisition funnel: 4 opps, win rate 25.0 %" and funnel.shown[0][-1] == "50.0 %"
    influence = charts.influence(
        {
            "rows": [
                {"campaign_id": "k1", "name": "Launch", "opps_sourced": 2, "pipeline_influenced": "1000.5"}
            ]
        },
        "w_shaped",
    )
    assert influence.rows[0][:5] == ["k1", "Launch", 2.0, None, 1000.5] and influence.shown[0][1:4] == [
        "2",
        "0",
        "1,000.50",
    ]
    plan = charts.planner(
        {
            "needed": {"opps": 4, "sqls": 8, "mqls": 16, "prospects": 32, "suspects": 64},
            "holds": {"opps": 1},
            "gap": {"opps": 3, "sqls": 8, "mqls": 16, "prospects": 32, "suspects": 64},
        }
    )
    assert plan.shown[-1] == ["Opps", "4", "1", "3"] and plan.shown[2][0] == "MQLS"


def test_roles_and_what_they_may_change() -> None:
    assert all(
        may("admin", action) for action in ("review", "quarantine", "opportunities", "operations", "users")
    )
    assert not any(may("read-only", action) for action in ("review", "quarantine", "opportunities"))
    assert may("sales", "opportunities") and not may("marketing", "review") and may("marketing", "quarantine")
    assert (
        refusal("read-only", "review")
        == "Your role (read-only) may not resolve review items; that needs admin or revops or sales."
    )
    assert set(ROLES) == {"admin", "revops", "sales", "marketing", "read-only"}
    assert [role for role in ROLES if may(role, "dead-letters")] == ["admin"]


def test_user_rules_and_throttling() -> None:
    assert username_problem("rita.moreno@acme") is None and username_problem("rita moreno")
    assert password_problem("short") and password_problem("a" * 12) is None
    assert not throttled(Failures(4, 4), 5) and throttled(Failures(5, 0), 5) and throttled(Failures(0, 20), 5)


def test_text() -> None:
    assert (label("economic_buyer"), money(None), money(25000.0), duration(59), duration(7260)) == (
        "Economic buyer",
        "no amount",
        "25,000",
        "59 s",
        "2 h 1 min",
    )


@pytest.mark.parametrize(
    ("alert", "shown"),
    [
        (
            {"channel": "email", "target": "ann@acme.example", "audience": "sales"},
            "email ann@acme.example (sales)",
        ),
        (
            {"channel": "chat", "target": "https://hooks.slack.example/services/T1/B2/secret"},
            "chat hooks.slack.example",
        ),
        ({"channel": "chat", "target": "not a url", "audience": "revops"}, "chat a chat webhook (revops)"),
    ],
)
def test_where_an_alert_went_never_shows_a_chat_webhooks_secret_path(
    alert: dict[str, str], shown: str
) -> None:
    assert routed_to(alert) == shown
