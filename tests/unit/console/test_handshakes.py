"""The console's pure handshake logic: which handoff is in force and how its state reads, the board
card's unaccepted badge, a decision in words, and the handshake reports' tables and charts from
the opportunity service's answers (numerics possibly as strings, a past turn without shares)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.console.domain import handshake_reports as reports
from services.console.domain.handshakes import decision, handshake, late_card

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def handoff(status: str, owner: str | None = "sid", due_in_hours: float = 5, **fields: Any) -> dict[str, Any]:
    due = (NOW + timedelta(hours=due_in_hours)).isoformat().replace("+00:00", "Z")
    return {"status": status, "owner": owner, "team": "sdr", "due_at": due, **fields}


@pytest.mark.parametrize(
    ("handoffs", "kind", "text", "waits"),
    [
        ([], "none", "no handoff", False),
        ([handoff("open")], "none", "waiting for sid to accept, due in 5 h", True),
        ([handoff("open", due_in_hours=-2.5)], "breached", "unaccepted, 2 h 30 min overdue", True),
        (
            [handoff("open", due_in_hours=-30, escalated_at="2026-12-01T08:00:00Z")],
            "breached",
            "unaccepted, 1 d 6 h overdue, escalated",
            True,
        ),
        (
            [handoff("accepted", accepted_by="sid (via console)")],
            "ok",
            "accepted by sid (via console)",
            False,
        ),
        ([handoff("accepted"), handoff("closed")], "ok", "accepted by sid", False),
        (
            [handoff("reassigned", "sue", -30), handoff("open", due_in_hours=1)],
            "none",
            "waiting for sid to accept, due in 1 h",
            True,
        ),
        ([handoff("closed", due_in_hours=-9)], "none", "no handoff", False),
        (
            [handoff("open", owner=None, team="marketing")],
            "none",
            "with the Marketing team, no one to accept",
            False,
        ),
    ],
)
def test_the_handoff_in_force_and_how_it_reads(
    handoffs: list[dict[str, Any]], kind: str, text: str, waits: bool
) -> None:
    found = handshake(handoffs, NOW)
    assert (found.badge.kind, found.badge.text, found.waits) == (kind, text, waits)


def test_a_card_shows_unaccepted_only_when_the_open_handoff_is_past_due() -> None:
    assert late_card({}, NOW) is None
    assert late_card({"handoff": handoff("open")}, NOW) is None
    assert late_card({"handoff": handoff("accepted", due_in_hours=-48)}, NOW) is None
    late = late_card({"handoff": handoff("open", due_in_hours=-0.5)}, NOW)
    assert late is not None and (late.kind, late.text) == ("breached", "unaccepted, 30 min overdue")


@pytest.mark.parametrize(
    ("the_handoff", "said"),
    [
        ({"rule": "round_robin", "pool_id": "sdr-dach", "turn": 3}, "round robin, pool sdr-dach turn 3"),
        (
            {"rule": "sticky", "pool_id": "sdr-dach", "turn": None},
            "sticky (had the account before), pool sdr-dach",
        ),
        ({"rule": "account_owner", "pool_id": None}, "the account's owner"),
        ({"rule": "some_new_rule"}, "Some new rule"),
    ],
)
def test_a_decision_in_words(the_handoff: dict[str, Any], said: str) -> None:
    assert decision(the_handoff) == said


REPORT = {
    "from": "2026-11-04T00:00:00Z",
    "to": "2026-12-02T00:00:00Z",
    "teams": [
        {
            "kind": "stage",
            "team": "sales",
            "handoffs": 1,
            "accepted": 1,
            "waiting": 0,
            "escalated": 0,
            "reassigned_away": 0,
            "acceptance_rate": 1.0,
            "median_hours_to_accept": "0.5",
            "p90_hours_to_accept": "0.5",
        },
        {
            "kind": "lead",
            "team": "sdr",
            "handoffs": 2,
            "accepted": 0,
            "waiting": 2,
            "escalated": 1,
            "reassigned_away": 0,
            "acceptance_rate": 0.0,
            "median_hours_to_accept": None,
            "p90_hours_to_accept": None,
        },
    ],
    "people": [
        {
            "kind": "lead",
            "team": "sdr",
            "owner": "sid",
            "handoffs": 2,
            "accepted": 0,
            "waiting": 2,
            "escalated": 1,
            "reassigned_away": 0,
            "acceptance_rate": 0.0,
            "median_hours_to_accept": None,
            "p90_hours_to_accept": None,
        },
        {
            "kind": "stage",
            "team": "sales",
            "owner": "ann",
            "handoffs": 1,
            "accepted": 1,
            "waiting": 0,
            "escalated": 0,
            "reassigned_away": 0,
            "acceptance_rate": 1.0,
            "median_hours_to_accept": "0.5",
            "p90_hours_to_accept": "0.5",
        },
    ],
    "stages": [
        {"kind": "lead", "stage": "sales", "handoffs": 2, "escalated": 1, "reassigned": 0, "unowned": 0},
        {"kind": "stage", "stage": "pipeline", "handoffs": 1, "escalated": 0, "reassigned": 0, "unowned": 0},
        {
            "kind": "stage",
            "stage": "negotiation",
            "handoffs": 1,
            "escalated": 0,
            "reassigned": 0,
            "unowned": 1,
        },
        {"kind": "stage", "stage": "qualified", "handoffs": 3, "escalated": 2, "reassigned": 1, "unowned": 0},
    ],
    "breaches": [
        {"type": "renewal", "stage": "negotiation", "breaches": 1},
        {"type": "acquisition", "stage": "qualified", "breaches": 4},
        {"type": "acquisition", "stage": "active", "breaches": 2},
    ],
}
ORDER = reports.stage_order(
    {
        "acquisition": [{"name": n} for n in ("target", "active", "qualified", "pipeline", "closed_won")],
        "renewal": [{"name": n} for n in ("upcoming", "negotiation", "closed_won")],
    }
)


def test_time_to_accept_lists_each_team_then_its_people() -> None:
    table = reports.acceptance(REPORT)
    assert table.title == "Time to accept, handoffs assigned 2026-11-04 to 2026-12-01"
    assert [(r[0], r[1], r[2]) for r in table.rows] == [
        ("sales", None, "stage"),
        ("sales", "ann", "stage"),
        ("sdr", None, "lead"),
        ("sdr", "sid", "lead"),
    ]
    assert table.rows[0][-3:] == [1.0, 0.5, 0.5] and table.rows[2][-2:] == [None, None]
    assert table.shown[0] == [
        "Sales",
        "whole team",
        "Stage handoff",
        "1",
        "1",
        "0",
        "0",
        "0",
        "100.0 %",
        "0.5",
        "0.5",
    ]
    assert table.shown[3][:3] == ["Sdr", "sid", "MQL route"] and table.shown[3][-2:] == ["-", "-"]
    assert table.chart["data"]["labels"] == [
        "Sales team",
        "Sales · ann",
        "MQL route · Sdr team",
        "MQL route · Sdr · sid",
    ]
    assert len(table.headers) == len(table.rows[0]) == len(table.shown[0])


def test_outcomes_and_breaches_come_in_pipeline_order_with_the_routes_last() -> None:
    outcomes = reports.outcomes(REPORT, ORDER)
    assert [r[0] for r in outcomes.rows] == ["qualified", "pipeline", "negotiation", "sales"]
    assert outcomes.shown[-1] == ["Sales", "MQL route", "2", "1", "0", "0"]
    assert [d["label"] for d in outcomes.chart["data"]["datasets"]] == ["Escalated", "Reassigned", "Unowned"]
    breaches = reports.breaches(REPORT, ["acquisition", "renewal"], ORDER)
    assert breaches.rows == [
        ["active", "acquisition", 2],
        ["qualified", "acquisition", 4],
        ["negotiation", "renewal", 1],
    ]
    assert breaches.chart["data"]["labels"][0] == "Acquisition · Active"


def test_fairness_sets_assignments_against_weight_and_a_past_turn_has_counts_only() -> None:
    fair = reports.fairness(
        {
            "pools": [
                {
                    "pool_id": "sdr-dach",
                    "team": "sdr",
                    "turn": 2,
                    "assigned": 3,
                    "members": [
                        {
                            "rep_id": "sid",
                            "weight": 2,
                            "assigned": 3,
                            "share_of_weight": 0.6667,
                            "share_assigned": 1.0,
                            "expected": 2.0,
                            "off_by": 1.0,
                        },
                        {
                            "rep_id": "sue",
                            "weight": 1,
                            "assigned": 0,
                            "share_of_weight": 0.3333,
                            "share_assigned": 0.0,
                            "expected": 1.0,
                            "off_by": -1.0,
                        },
                    ],
                },
                {
                    "pool_id": "sdr-fr",
                    "team": "sdr",
                    "turn": 1,
                    "assigned": 4,
                    "members": [
                        {
                            "rep_id": "sol",
                            "weight": None,
                            "assigned": 4,
                            "share_of_weight": None,
                            "share_assigned": 1.0,
                            "expected": None,
                            "off_by": None,
                        },
                    ],
                },
            ]
        }
    )
    assert fair.rows[0] == ["sid", "sdr-dach", "sdr", 2, 2, 3, 2.0, 0.6667, 1.0, 1.0]
    assert fair.shown[1][-4:] == ["1.0", "33.3 %", "0.0 %", "-1.0"]
    assert fair.shown[2] == ["sol", "sdr-fr", "Sdr", "1", "-", "4", "-", "-", "100.0 %", "-"]
    assert fair.chart["data"]["datasets"][1]["data"] == [2.0, 1.0, None]
