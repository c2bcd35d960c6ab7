"""Reports on a hand-computed fixture: seven acquisition opps and a renewal, stamps in days."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from deploy import services
from shared.migrate import migrate
from shared.settings import Settings
from tests.conftest import make_settings
from tests.support.db import fetch
from tests.support.infra import Broker, PostgresServer
from tests.support.stack import InProcessStack

NOW = datetime.now(UTC)
T0 = NOW - timedelta(days=60)
# opp: (type, stage, created, {stage: day entered}, closed?, roles)
OPPS: dict[str, tuple[str, str, datetime, dict[str, int], list[str]]] = {
    "A1": (
        "acquisition",
        "closed_won",
        T0,
        {
            "target": 0,
            "active": 1,
            "engaged": 3,
            "prioritized": 6,
            "qualified": 10,
            "pipeline": 20,
            "closed_won": 50,
        },
        ["champion", "economic_buyer", "influencer", "decision_maker"],
    ),
    "A2": (
        "acquisition",
        "pipeline",
        T0,
        {"target": 0, "active": 2, "engaged": 4, "prioritized": 8, "qualified": 14, "pipeline": 30},
        ["champion", "economic_buyer", "influencer", "decision_maker"],
    ),
    "A3": (
        "acquisition",
        "prioritized",
        T0,
        {"target": 0, "active": 1, "prioritized": 5},
        ["champion", "influencer"],
    ),
    "A4": ("acquisition", "active", T0, {"target": 0, "active": 3}, ["champion", "user"]),
    "A5": ("acquisition", "closed_lost", T0, {"target": 0, "closed_lost": 2}, []),
    "A6": ("acquisition", "target", T0, {"target": 0}, []),
    "A7": ("acquisition", "target", T0 - timedelta(days=30), {"target": 0}, []),  # before the period
    "R1": ("renewal", "upcoming", T0, {"upcoming": 0}, []),
}


async def seed(url: str) -> None:
    for opp_id, (opp_type, stage, created, days, roles) in OPPS.items():
        stamps = {f"entered_{s}": created + timedelta(days=d) for s, d in days.items()}
        closed = stamps.get(f"entered_{stage}") if stage.startswith("closed") else None
        columns = {
            "opp_id": opp_id,
            "account_id": f"acct-{opp_id}",
            "type": opp_type,
            "stage": stage,
            "created_by": "fixture",
            "owner": "olga",
            "amount": 1000.0,
            "created_at": created,
            "stage_entered_at": stamps[f"entered_{stage}"],
            "closed_at": closed,
            **stamps,
        }
        names = ", ".join(columns)
        marks = ", ".join(f"${i + 1}" for i in range(len(columns)))
        await fetch(
            url, f"INSERT INTO opportunity.opportunities ({names}) VALUES ({marks})", *columns.values()
        )
        for i, role in enumerate(roles):
            await fetch(
                url,
                "INSERT INTO opportunity.contact_roles (opp_id, contact_id, role) VALUES ($1, $2, $3)",
                opp_id,
                f"{opp_id}-c{i}",
                role,
            )


@pytest.fixture(scope="module")
async def api(postgres: PostgresServer, broker: Broker) -> AsyncIterator[httpx.AsyncClient]:
    """One seeded database for the module (the tests only read it), migrated for this service alone."""
    url = await postgres.new_database()
    try:
        await migrate(Settings(database_url=url), "opportunity", services.migrations("opportunity"))
        await seed(url)
        settings = make_settings(url, broker.bootstrap, opportunity_sla_scan_seconds=0)
        async with InProcessStack(settings, names=("opportunity",)) as stack:
            yield stack.client("opportunity")
    finally:
        await postgres.drop(url)


PERIOD = {"from": T0.date().isoformat(), "to": (NOW + timedelta(days=1)).date().isoformat()}


async def get(api: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await api.get(f"/v1/reports/{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_funnel_counts_and_conversion(api: httpx.AsyncClient) -> None:
    funnel = await get(api, "funnel", type="acquisition", **PERIOD)
    assert (funnel["total"], funnel["won"], funnel["lost"], funnel["win_rate"]) == (6, 1, 1, 0.1667)
    rows = [(s["stage"], s["reached"], s["current"], s["conversion_to_next"]) for s in funnel["stages"]]
    assert rows == [
        ("target", 6, 1, 0.6667),
        ("active", 4, 1, 0.75),
        ("engaged", 3, 0, 1.0),  # A3 skipped engaged: it counts as passed
        ("prioritized", 3, 1, 0.6667),
        ("qualified", 2, 0, 1.0),
        ("pipeline", 2, 1, 0.5),
        ("closed_won", 1, 1, None),
    ]
    everything = await get(api, "funnel", type="acquisition")
    assert everything["total"] == 7
    renewal = await get(api, "funnel", type="renewal")
    assert renewal["total"] == 1 and renewal["stages"][0]["current"] == 1
    bad = await api.get("/v1/reports/funnel", params={"type": "merger"})
    assert bad.status_code == 422


async def test_velocity_median_and_p90(api: httpx.AsyncClient) -> None:
    velocity = await get(api, "velocity", type="acquisition", **PERIOD)
    rows = {
        s["from_stage"]: (s["to_stage"], s["opps"], round(s["median_days"], 4), round(s["p90_days"], 4))
        for s in velocity["stages"]
    }
    assert rows == {
        "target": ("active", 4, 1.5, 2.7),  # [1, 1, 2, 3]
        "active": ("engaged", 3, 2.0, 3.6),  # [2, 2, 4]: A3 went on to prioritized on day 5
        "engaged": ("prioritized", 2, 3.5, 3.9),
        "prioritized": ("qualified", 2, 5.0, 5.8),
        "qualified": ("pipeline", 2, 13.0, 15.4),
        "pipeline": ("closed_won", 1, 30.0, 30.0),
        "created": ("closed_won", 1, 50.0, 50.0),
    }


async def test_aging_with_sla_state(api: httpx.AsyncClient) -> None:
    aging = await get(api, "aging", type="acquisition", **PERIOD)
    stages = {s["stage"]: (s["opps"], round(s["median_days"]), s["breached"]) for s in aging["stages"]}
    # SLAs: active 30 days, prioritized 14, pipeline 90; target has none.
    assert stages == {
        "target": (1, 60, 0),
        "active": (1, 57, 1),
        "prioritized": (1, 55, 1),
        "pipeline": (1, 30, 0),
    }
    oldest = [(o["opp_id"], o["sla_state"]) for o in aging["oldest"]]
    assert oldest == [("A6", "none"), ("A4", "breached"), ("A3", "breached"), ("A2", "ok")]


async def test_buying_group_coverage(api: httpx.AsyncClient) -> None:
    coverage = {o["opp_id"]: o for o in (await get(api, "buying-group-coverage", type="acquisition"))["opps"]}
    assert set(coverage) == {"A2", "A3", "A4", "A6", "A7"}
    a3 = coverage["A3"]
    assert a3["roles_present"] == ["champion", "influencer"] and a3["coverage"] == "2 of 5"
    assert (a3["next_stage"], a3["next_stage_needs"], a3["roles_short"], a3["ready"]) == (
        "qualified",
        3,
        1,
        False,
    )
    assert a3["uncovered_roles"] == ["decision_maker", "economic_buyer", "technical_buyer"]
    assert (
        coverage["A4"]["roles_present"] == ["champion"] and coverage["A4"]["ready"] is True
    )  # user is no committee role
    assert coverage["A6"]["roles_short"] == 1 and coverage["A6"]["ready"] is False
    assert coverage["A2"]["next_stage"] is None and coverage["A2"]["ready"] is True


async def test_reverse_funnel_with_given_and_observed_rates(api: httpx.AsyncClient) -> None:
    given = await get(
        api,
        "reverse-funnel",
        revenue_target=1_000_000,
        marketing_share=0.6,
        average_price=50_000,
        suspect_to_prospect=0.5,
        prospect_to_mql=0.2,
        mql_to_sql=0.5,
        sql_to_win=0.25,
    )
    assert given["needed"] == {"opps": 12, "sqls": 48, "mqls": 96, "prospects": 480, "suspects": 960}
    # Open now: target A6, A7; active A4; prioritized A3; pipeline A2.
    assert given["holds"] == {"suspects": 2, "prospects": 1, "mqls": 1, "sqls": 1, "opps": 1}
    assert given["gap"] == {"opps": 11, "sqls": 47, "mqls": 95, "prospects": 479, "suspects": 958}
    observed = await get(api, "reverse-funnel", revenue_target=100_000, average_price=50_000)
    # All seven acquisition opps: reached target 7, active 4, prioritized 3, qualified 2, won 1.
    assert observed["rates"] == {
        "suspect_to_prospect": 0.5714,
        "prospect_to_mql": 0.75,
        "mql_to_sql": 0.6667,
        "sql_to_win": 0.5,
    }
    assert observed["needed"] == {"opps": 2, "sqls": 4, "mqls": 6, "prospects": 8, "suspects": 15}
    refused = await api.get("/v1/reports/reverse-funnel", params={"revenue_target": 1, "average_price": 0})
    assert refused.status_code == 422


async def test_export_has_every_stamp_column(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/reports/export", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 8
    stamp_columns = [c for c in rows[0] if c.startswith("entered_")]
    assert len(stamp_columns) == 12
    a1 = next(r for r in rows if r["opp_id"] == "A1")
    assert datetime.fromisoformat(a1["entered_closed_won"]) == T0 + timedelta(days=50)
    assert a1["entered_upcoming"] == "" and a1["stage"] == "closed_won"

    ndjson = await api.get("/v1/reports/export", params={"format": "ndjson", "type": "acquisition", **PERIOD})
    lines = [json.loads(line) for line in ndjson.text.splitlines()]
    assert sorted(line["opp_id"] for line in lines) == ["A1", "A2", "A3", "A4", "A5", "A6"]
    a3 = next(line for line in lines if line["opp_id"] == "A3")
    assert a3["entered_engaged"] is None and datetime.fromisoformat(
        a3["entered_prioritized"]
    ) == T0 + timedelta(days=5)
    assert (await api.get("/v1/reports/export", params={"format": "xml"})).status_code == 422
