"""The console's handshakes in-process, the opportunity service replaced by canned answers in its
own response shapes (`OpportunityOut`, `HandoffOut`, `RoutesOut`, the reports' dicts): the opp's
Handshake section, the board card of an opp whose handoff is late, Accept sent on behalf of the
signed-in person (and the service's refusal of anyone else shown as it said it), a lead's route,
and the Handshakes report page with a CSV per part."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.console.app.ports import Refused
from services.opportunity.entrypoints.models import HandoffOut, OpportunityOut, RoutesOut
from tests.integration.test_console_pages import FUNNEL, PASSWORD, Console, opp, started

NOW = datetime.now(UTC)
LATE = re.compile(r"unaccepted, [0-9dhmin ]+ overdue, escalated")  # SID was due an hour before NOW
NEXT_STEP = "Accept the handoff into qualified and agree the next step with the buying group"


def at(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).isoformat()


def handoff(owner: str, status: str, **fields: Any) -> dict[str, Any]:
    found = {
        "handoff_id": str(uuid.uuid4()),
        "stage": "qualified",
        "team": "sdr",
        "owner": owner,
        "rule": "round_robin",
        "reason": f"{owner}: furthest below their share in pool sdr-dach turn 2",
        "pool_id": "sdr-dach",
        "turn": 2,
        "status": status,
        "assigned_at": at(50),
        "due_at": at(26),
        "accepted_at": None,
        "accepted_by": None,
        "escalated_at": None,
        "closed_at": None,
        "closed_reason": None,
    }
    return HandoffOut.model_validate(found | fields).model_dump(mode="json")


SUE = handoff(
    "sue",
    "reassigned",
    escalated_at=at(26),
    closed_at=at(3),
    closed_reason="sue did not accept within 24h, nor 24h after the escalation",
)
SID = handoff("sid", "open", assigned_at=at(3), due_at=at(1), escalated_at=at(0.5))


def qualified(handoffs: list[dict[str, Any]], *, detail: bool = True) -> dict[str, Any]:
    """o-2 in qualified, handed to sid: with its handoffs as its GET has them, or as the list has
    it (the handoff in force only)."""
    found = opp("o-2", stage="qualified") | {
        "stage_owner": "sid",
        "next_step": NEXT_STEP,
        "next_step_owner": "sid",
        "next_step_due": "2026-12-03",
        "sla": {
            "state": "breached",
            "sla_hours": 48,
            "due_at": at(5),
            "overdue_by_seconds": 18000,
            "breached_at": at(4.5),
            "escalated_at": at(0.25),
        },
        "handoffs": handoffs if detail else [],
        "handoff": next((h for h in reversed(handoffs) if h["status"] in ("open", "accepted")), None),
    }
    return OpportunityOut.model_validate(found).model_dump(mode="json")


def accept(call: dict[str, Any]) -> dict[str, Any]:
    """The service's rule: only the handoff's owner accepts it (409 naming whose it is)."""
    if call["actor"] != "sid":
        said = f"The handoff is sid's to accept, not {call['actor']}'s."
        raise Refused("opportunity", 409, said, [{"field": "authorization", "reason": said}])
    return qualified(
        [SUE, SID | {"status": "accepted", "accepted_at": NOW.isoformat(), "accepted_by": "sid"}]
    )


HANDOFF_REPORT = {
    "from": "2026-11-04T00:00:00Z",
    "to": "2026-12-02T00:00:00Z",
    "teams": [
        {
            "kind": "stage",
            "team": "sdr",
            "handoffs": 3,
            "accepted": 1,
            "waiting": 1,
            "escalated": 2,
            "reassigned_away": 1,
            "median_hours_to_accept": 2.5,
            "p90_hours_to_accept": 2.5,
            "acceptance_rate": 0.3333,
        }
    ],
    "people": [
        {
            "kind": "stage",
            "team": "sdr",
            "owner": "sid",
            "handoffs": 2,
            "accepted": 1,
            "waiting": 1,
            "escalated": 1,
            "reassigned_away": 0,
            "median_hours_to_accept": 2.5,
            "p90_hours_to_accept": 2.5,
            "acceptance_rate": 0.5,
        },
        {
            "kind": "stage",
            "team": "sdr",
            "owner": "sue",
            "handoffs": 1,
            "accepted": 0,
            "waiting": 0,
            "escalated": 1,
            "reassigned_away": 1,
            "median_hours_to_accept": None,
            "p90_hours_to_accept": None,
            "acceptance_rate": 0.0,
        },
    ],
    "stages": [
        {"kind": "lead", "stage": "sales", "handoffs": 4, "escalated": 1, "reassigned": 0, "unowned": 0},
        {"kind": "stage", "stage": "pipeline", "handoffs": 2, "escalated": 0, "reassigned": 0, "unowned": 0},
        {"kind": "stage", "stage": "qualified", "handoffs": 3, "escalated": 2, "reassigned": 1, "unowned": 1},
    ],
    "breaches": [{"type": "acquisition", "stage": "qualified", "breaches": 2}],
}
FAIRNESS = {
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
                    "assigned": 2,
                    "share_of_weight": 0.6667,
                    "share_assigned": 0.6667,
                    "expected": 2.0,
                    "off_by": 0.0,
                },
                {
                    "rep_id": "sue",
                    "weight": 1,
                    "assigned": 1,
                    "share_of_weight": 0.3333,
                    "share_assigned": 0.3333,
                    "expected": 1.0,
                    "off_by": 0.0,
                },
            ],
        }
    ]
}


@pytest.fixture
async def console(database_url: str) -> AsyncIterator[Console]:
    async with started(database_url) as running:
        fake = running.fake
        fake.on("opportunity", "GET", "/v1/opportunities/o-2", qualified([SUE, SID]))
        fake.on("opportunity", "POST", "/v1/opportunities/o-2/accept", accept)
        fake.on("opportunity", "GET", "/v1/reports/handoffs", HANDOFF_REPORT)
        fake.on("opportunity", "GET", "/v1/reports/routing-fairness", FAIRNESS)
        yield running


async def person(console: Console, display_name: str, role: str) -> None:
    """A console user of this role, signed in (the admin creates them)."""
    username = f"{display_name}-{uuid.uuid4().hex[:6]}"
    await console.sign_in("admin", PASSWORD)
    created = await console.post(
        "/users", username=username, display_name=display_name, role=role, password=f"{username}-password"
    )
    assert created.status_code == 303
    console.client.cookies.clear()
    assert (await console.sign_in(username, f"{username}-password")).status_code == 303


async def test_the_opp_page_shows_the_handshake_and_every_handoff(console: Console) -> None:
    await console.sign_in("admin", PASSWORD)
    page = await console.client.get("/opportunities/o-2")
    assert page.status_code == 200, page.text[-2000:]
    section = page.text[page.text.index('id="handshake"') : page.text.index("<h2>Buying group")]
    for expected in (
        "<dt>Stage owner</dt><dd>sid",
        NEXT_STEP,
        "<dt>Next-step owner</dt><dd>sid</dd>",
        "<dt>Next step due</dt><dd>2026-12-03</dd>",
        f'accept by <time datetime="{datetime.fromisoformat(SID["due_at"]).isoformat()}"',
        f'breached <time datetime="{datetime.fromisoformat(at(4.5)).isoformat()}"',
        "round robin, pool sdr-dach turn 2",
        "sue did not accept within 24h, nor 24h after the escalation",
        ">Reassigned</span>",
        ">Open</span>",
        ">Accept</button>",
        "Handed to sid: the console accepts as Admin, and only sid may.",
    ):
        assert expected in section, expected
    assert LATE.search(section), "the handoff in force is open, past its accept-by time, escalated"
    table = section[section.index("<caption>Handoffs") :]
    assert table.index(">sue<") < table.index(">sid<"), "oldest first"


async def test_a_late_handoff_shows_on_its_board_card_with_its_stage_owner(console: Console) -> None:
    fake = console.fake
    stages = [
        {"stage": s, "team": t, "reached": 4, "current": 4, "next_stage": None, "conversion_to_next": None}
        for s, t in (("target", "marketing"), ("qualified", "sdr"))
    ]
    funnel = FUNNEL | {"stages": stages}
    fake.on("opportunity", "GET", "/v1/reports/funnel", funnel)
    by_stage = {"target": [opp("o-1")], "qualified": [qualified([SUE, SID], detail=False)]}
    fake.on("opportunity", "GET", "/v1/opportunities", lambda call: by_stage.get(call["params"]["stage"], []))
    await console.sign_in("admin", PASSWORD)
    board = await console.client.get("/opportunities?type=acquisition")
    assert board.status_code == 200, board.text[-2000:]
    late = board.text[board.text.index('data-opp="o-2"') :]
    late = late[: late.index("</article>")]
    assert "Stage owner sid" in late and LATE.search(late)
    on_time = board.text[board.text.index('data-opp="o-1"') :]
    assert "unaccepted" not in on_time[: on_time.index("</article>")]
    reads = [c.path for c in fake.calls if c.path.startswith("/v1/opportunities/")]
    assert reads == [], "the list carries each card's handoff in force: no opp is read again"


async def test_accept_goes_on_behalf_of_the_person_and_anyone_else_is_refused_plainly(
    console: Console,
) -> None:
    await console.sign_in("admin", PASSWORD)
    done = await console.post("/opportunities/o-2/accept")
    assert done.status_code == 303 and done.headers["location"] == "/opportunities/o-2#handshake"
    page = await console.client.get("/opportunities/o-2")
    assert "Not done: The handoff is sid&#39;s to accept, not Admin&#39;s.</p>" in page.text

    console.client.cookies.clear()
    await person(console, "sid", "sales")
    page = await console.client.get("/opportunities/o-2")
    assert ">Accept</button>" in page.text and "the console accepts as" not in page.text
    await console.post("/opportunities/o-2/accept")
    assert (
        "You accepted the handoff: Qualified is yours."
        in (await console.client.get("/opportunities/o-2")).text
    )
    accepts = [
        (c.method, c.path, c.actor, c.json) for c in console.fake.writes() if c.path.endswith("/accept")
    ]
    assert accepts == [
        ("POST", "/v1/opportunities/o-2/accept", "Admin", None),
        ("POST", "/v1/opportunities/o-2/accept", "sid", None),
    ]


async def test_a_read_only_person_sees_no_accept_and_is_refused_it(console: Console) -> None:
    await person(console, "Rhea", "read-only")
    page = await console.client.get("/opportunities/o-2")
    assert LATE.search(page.text) and ">Accept</button>" not in page.text
    refused = await console.post("/opportunities/o-2/accept")
    assert refused.status_code == 403
    assert (
        "Your role (read-only) may not accept handoffs; that needs admin or revops or sales or marketing."
        in refused.text
    )
    assert [c for c in console.fake.writes() if c.path.endswith("/accept")] == []


async def test_a_leads_route_is_shown_and_accepted_by_its_owner(console: Console) -> None:
    fake = console.fake
    route = handoff(
        "sid",
        "open",
        stage="sales",
        rule="account_owner",
        reason="the account's owner sid",
        pool_id=None,
        turn=None,
        assigned_at=at(2),
        due_at=(NOW + timedelta(hours=22)).isoformat(),
    )
    fake.on(
        "matcher",
        "GET",
        "/v1/leads/lead-1/match",
        {"status": "matched", "account_id": "acc-1", "contact_id": "c-9"},
    )
    routes = RoutesOut.model_validate({"contact_id": "c-9", "current": route, "routes": [route]})
    fake.on("opportunity", "GET", "/v1/routes/c-9", routes.model_dump(mode="json"))
    fake.on("opportunity", "POST", "/v1/routes/c-9/accept", routes.model_dump(mode="json"))
    await person(console, "sid", "sales")
    page = await console.client.get("/leads/lead-1")
    assert page.status_code == 200, page.text[-2000:]
    for expected in (
        "Sales route · sid",
        "waiting for sid to accept, due in 21 h",
        "the account&#39;s owner",
    ):
        assert expected in page.text, expected
    await console.post("/leads/lead-1/route/accept", contact_id="c-9")
    assert "You accepted the lead&#39;s route" in (await console.client.get("/leads/lead-1")).text
    [call] = [c for c in fake.writes() if c.path.endswith("/accept")]
    assert (call.path, call.actor) == ("/v1/routes/c-9/accept", "sid")


async def test_the_handshakes_report_charts_each_part_with_its_table_and_csv(console: Console) -> None:
    await console.sign_in("admin", PASSWORD)
    query = "from=2026-11-04&to=2026-12-02&pool_id=sdr-dach&turn=2"
    page = await console.client.get(f"/reports/handshakes?{query}")
    assert page.status_code == 200, page.text[-2000:]
    for expected in (
        'aria-current="page">Handshakes</a>',
        "Time to accept, handoffs assigned 2026-11-04 to 2026-12-01",
        '<th scope="row">Sdr</th><td>whole team</td><td>Stage handoff</td><td>3</td>',
        "<td>sue</td>",
        "33.3 %",
        "Escalations and reassignments per stage",
        "SLA breaches per stage",
        "Routing fairness: assignments against weight, per pool turn",
        'id="chart"',
        'id="chart-fairness"',
        'aria-label="Download CSV: Routing fairness',
    ):
        assert expected in page.text, expected
    outcomes = page.text[page.text.index("Escalations and reassignments") :]
    assert outcomes.index(">Qualified<") < outcomes.index(">Pipeline<") < outcomes.index(">Sales<"), (
        "stages in pipeline order, then the routes"
    )
    reads = {c.path: c.params for c in console.fake.calls if c.path.startswith("/v1/reports/")}
    assert reads["/v1/reports/handoffs"] == {"from": "2026-11-04", "to": "2026-12-02"}
    assert reads["/v1/reports/routing-fairness"] == {"pool_id": "sdr-dach", "turn": "2"}

    exported = await console.client.get(f"/reports/handshakes?{query}&format=csv&part=fairness")
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="handshakes-fairness.csv"' in exported.headers["content-disposition"]
    assert exported.text.splitlines() == [
        "Rep,Pool,Team,Turn,Weight,Assigned,Expected,Share of weight,Share assigned,Off by",
        "sid,sdr-dach,sdr,2,2,2,2.0,0.6667,0.6667,0.0",
        "sue,sdr-dach,sdr,2,1,1,1.0,0.3333,0.3333,0.0",
    ]
    acceptance = await console.client.get(f"/reports/handshakes?{query}&format=csv&part=acceptance")
    assert acceptance.text.splitlines()[1:3] == [
        "sdr,,stage,3,1,1,2,1,0.3333,2.5,2.5",
        "sdr,sid,stage,2,1,1,1,0,0.5,2.5,2.5",
    ]
