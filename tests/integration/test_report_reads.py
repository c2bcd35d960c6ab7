"""Velocity and aging read what the moves keep (`stage_times`) and the oldest opps' history only:
the same answers as a pass over the whole history, on opps that re-enter stages, skip, close, never
move, or have no history at all; history from before migration 0006 is filled in by it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from deploy import services
from services.opportunity.app.lifecycle import create_opp, move_opp
from services.opportunity.domain.moves import Refusal
from services.opportunity.domain.pipelines import DEFAULT_PIPELINES
from services.opportunity.settings import OpportunitySettings
from shared.migrate import migrate
from shared.runtime import Runtime
from shared.settings import Settings
from tests.conftest import make_settings
from tests.support.db import fetch
from tests.support.infra import Broker, PostgresServer
from tests.support.stack import InProcessStack

T0 = (datetime.now(UTC) - timedelta(days=60)).replace(microsecond=0)
# opp: (type, created days from T0, [(stage, day entered)]); the first stage is where it was created.
MOVED = {
    "reentered": (
        "acquisition",
        0,
        [("target", 0), ("active", 2), ("target", 5), ("active", 6), ("engaged", 10)],
    ),
    "won": ("acquisition", 0, [("target", 0), ("active", 1), ("pipeline", 4), ("closed_won", 20)]),
    "lost": ("acquisition", 0, [("target", 0), ("closed_lost", 3)]),
    "fresh": ("acquisition", 0, [("target", 0)]),
    "back": ("acquisition", 0, [("target", 0), ("active", 1), ("target", 3)]),
    "earlier": ("acquisition", -30, [("target", -30), ("active", -29), ("target", -28), ("active", -27)]),
    "renewal": ("renewal", 0, [("upcoming", 0), ("engaged", 7)]),
}
# Written before migration 0006, as older releases did: "legacy" with its history, "bare" with none.
LEGACY = [("target", 0), ("active", 1), ("target", 4), ("active", 5)]
# The definition: a stay runs from a move to the opp's next one.
FROM_HISTORY = """
SELECT opp_id, stage, count(*)::int AS exits, sum(extract(epoch FROM exited_at - entered_at)) AS seconds
FROM (SELECT opp_id, to_stage AS stage, at AS entered_at,
             lead(at) OVER (PARTITION BY opp_id ORDER BY id) AS exited_at FROM opportunity.stage_history) s
WHERE exited_at IS NOT NULL GROUP BY opp_id, stage ORDER BY opp_id, stage
"""
KEPT = "SELECT opp_id, stage, exits, seconds FROM opportunity.stage_times ORDER BY opp_id, stage"


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def gateless() -> dict[str, list[dict[str, Any]]]:
    """The default pipelines with no gates: these tests are about time, not coverage."""
    pipelines = {}
    for opp_type, pipeline in DEFAULT_PIPELINES.items():
        stages = []
        for stage in pipeline.stages:
            raw = asdict(stage)
            raw.pop("gate")
            stages.append(raw)
        pipelines[opp_type] = stages
    return pipelines


async def legacy_rows(url: str) -> None:
    insert = (
        "INSERT INTO opportunity.opportunities (opp_id, account_id, type, stage, created_by, created_at,"
        " stage_entered_at, entered_target, entered_active)"
        " VALUES ($1, $1, 'acquisition', $2, 'old', $3, $4, $3, $5)"
    )
    await fetch(url, insert, "legacy", "active", day(0), day(5), day(1))
    await fetch(url, insert, "bare", "target", day(0), day(0), None)
    for stage, entered in LEGACY:
        await fetch(
            url,
            "INSERT INTO opportunity.stage_history (opp_id, to_stage, at, actor)"
            " VALUES ('legacy', $1, $2, 'old')",
            stage,
            day(entered),
        )


async def moved(runtime: Runtime, name: str) -> str:
    settings = runtime.settings
    assert isinstance(settings, OpportunitySettings)
    opp_type, created, moves = MOVED[name]
    async with runtime.uow() as uow:
        opp = await create_opp(
            uow, settings, account_id=f"acct-{name}", opp_type=opp_type, created_by="test", now=day(created)
        )
        assert opp is not None
        for stage, entered in moves[1:]:
            assert not isinstance(
                await move_opp(uow, settings, opp, stage, actor="test", now=day(entered)), Refusal
            )
        await uow.commit()
    return opp.opp_id


@pytest.fixture(scope="module")
async def world(
    postgres: PostgresServer, broker: Broker
) -> AsyncIterator[tuple[httpx.AsyncClient, str, dict[str, str]]]:
    url = await postgres.new_database()
    try:
        await migrate(Settings(database_url=url), "opportunity", services.migrations("opportunity"), "0005")
        await legacy_rows(url)
        await migrate(Settings(database_url=url), "opportunity", services.migrations("opportunity"))
        settings = make_settings(
            url, broker.bootstrap, opportunity_sla_scan_seconds=0, opportunity_pipelines=gateless()
        )
        async with InProcessStack(settings, names=("opportunity",)) as stack:
            ids = {name: await moved(stack.runtime("opportunity"), name) for name in MOVED}
            yield stack.client("opportunity"), url, ids | {"legacy": "legacy", "bare": "bare"}
    finally:
        await postgres.drop(url)


PERIOD = {"from": T0.date().isoformat(), "to": (T0 + timedelta(days=61)).date().isoformat()}


async def report(api: httpx.AsyncClient, name: str, **params: Any) -> Any:
    response = await api.get(f"/v1/reports/{name}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_kept_stage_times_are_the_history_s_own(
    world: tuple[httpx.AsyncClient, str, dict[str, str]],
) -> None:
    _, url, ids = world
    kept = [tuple(r) for r in await fetch(url, KEPT)]
    assert kept == [tuple(r) for r in await fetch(url, FROM_HISTORY)]
    by_opp = {(opp_id, stage): (exits, float(seconds) / 86400) for opp_id, stage, exits, seconds in kept}
    assert by_opp[("legacy", "target")] == (2, 2.0) and by_opp[("legacy", "active")] == (1, 3.0)
    assert by_opp[(ids["reentered"], "active")] == (2, 7.0) and (ids["reentered"], "engaged") not in by_opp
    assert not [key for key in by_opp if key[0] in (ids["fresh"], "bare")]
    copied = "SELECT DISTINCT type, created_at FROM opportunity.stage_times WHERE opp_id = $1"
    assert [tuple(r) for r in await fetch(url, copied, ids["renewal"])] == [("renewal", day(0))]


async def test_velocity_time_in_stage_over_re_entries_skips_and_closes(
    world: tuple[httpx.AsyncClient, str, dict[str, str]],
) -> None:
    api, _, _ = world
    rows = {
        r["from_stage"]: r for r in (await report(api, "velocity", type="acquisition", **PERIOD))["stages"]
    }
    assert list(rows) == ["target", "active", "pipeline", "created"]
    # Left target: legacy 2 days (twice), reentered 3 (twice), won 1, lost 3, back 1.
    target = rows["target"]
    assert (target["opps"], target["median_days"]) == (4, 1.0)  # first entry to the next stage: 1, 1, 1, 2
    assert (target["median_days_in_stage"], target["p90_days_in_stage"], target["reentered"]) == (2.0, 3.0, 2)
    # Left active: legacy 3, reentered 7 (twice), won 3, back 2.
    active = rows["active"]
    assert (active["median_days_in_stage"], round(active["p90_days_in_stage"], 4), active["reentered"]) == (
        3.0,
        5.8,
        1,
    )
    assert rows["pipeline"]["median_days_in_stage"] == 16.0 and "median_days_in_stage" not in rows["created"]
    everything = {r["from_stage"]: r for r in (await report(api, "velocity", type="acquisition"))["stages"]}
    assert everything["target"]["reentered"] == 3  # the opp created before the period too
    renewal = (await report(api, "velocity", type="renewal"))["stages"]
    assert [(r["from_stage"], r["median_days"], r["median_days_in_stage"]) for r in renewal] == [
        ("upcoming", 7.0, 7.0)
    ]


async def timed_aging(
    api: httpx.AsyncClient, **params: Any
) -> tuple[Any, Callable[[float], tuple[float, float]]]:
    """The aging report, and the days from a day to the report's now, as bounds."""
    before = datetime.now(UTC)
    aging = await report(api, "aging", type="acquisition", **params, **PERIOD)
    after = datetime.now(UTC)

    def since(n: float) -> tuple[float, float]:
        return (before - day(n)).total_seconds() / 86400, (after - day(n)).total_seconds() / 86400

    return aging, since


def total(opp: dict[str, Any]) -> float:
    return float(opp["days_in_stage_total"])  # numeric: a string in JSON


async def test_aging_oldest_with_all_their_stays(
    world: tuple[httpx.AsyncClient, str, dict[str, str]],
) -> None:
    api, _, ids = world
    aging, since = await timed_aging(api, limit=3)
    oldest = {o["opp_id"]: o for o in aging["oldest"]}
    # Entered their stage on day 0 (bare, fresh), then day 3 (back); legacy (5) and reentered (10) not.
    assert set(oldest) == {"bare", ids["fresh"], ids["back"]}
    assert [o["opp_id"] for o in aging["oldest"]][2] == ids["back"]
    assert (oldest["bare"]["entries"], oldest["bare"]["days_in_stage_total"]) == (0, None)
    low, high = since(3)
    back = oldest[ids["back"]]
    assert back["entries"] == 2 and low + 1 <= total(back) <= high + 1  # 1 day, then since day 3
    assert low <= float(back["days_in_stage"]) <= high
    assert {s["stage"]: s["opps"] for s in aging["stages"]} == {"target": 3, "active": 1, "engaged": 1}

    aging, since = await timed_aging(api)
    every = {o["opp_id"]: o for o in aging["oldest"]}
    assert set(every) == {"bare", ids["fresh"], ids["back"], "legacy", ids["reentered"]}
    low, high = since(5)
    assert every["legacy"]["entries"] == 2 and low + 3 <= total(every["legacy"]) <= high + 3
    assert every[ids["reentered"]]["entries"] == 1 and every[ids["fresh"]]["entries"] == 1
