"""Opportunity benchmark: stage moves/s through the API, and the funnel report over 100,000 opps.

Generates N acquisition opps (default 100,000) with their stamps and stage history in a fresh
database, then
- moves: M stage moves (target -> active -> target ..., each gate-checked, stamped, historied and
  put in the outbox in its own transaction) through `POST /v1/opportunities/{id}/stage`,
  in-process over ASGI, from C concurrent clients; then M more through the service layer alone;
- the pure move planner's rate (no I/O);
- the funnel, velocity and aging reports over all N opps (median of R runs).
Prints one line.

    python bench/opportunity.py [--opps 100000] [--moves 4000] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import text

from deploy import services
from services.opportunity.app.lifecycle import move_opp
from services.opportunity.bootstrap import DEFINITION
from services.opportunity.domain.moves import Refusal, plan_move
from services.opportunity.domain.pipelines import COMMITTEE_ROLES, DEFAULT_PIPELINES
from services.opportunity.settings import OpportunitySettings
from shared.app import create_app
from shared.db import create_engine
from shared.migrate import migrate
from shared.runtime import Runtime
from tests.support.infra import PostgresServer

KEY = "bench-key-0123456789abcdef"
STAGES = ("target", "active", "engaged", "prioritized", "qualified", "pipeline", "closed_won")


def _generate_sql(count: int) -> list[str]:
    """Opps at a random depth of the waterfall (15% lost on the way), stamped every ~4 days."""
    # Stage i is entered on day i * (4 + g % 3): varied spans, target on day 0.
    stamps = ", ".join(
        f"CASE WHEN depth >= {i} THEN t0 + make_interval(days => {i} * (4 + g % 3)) END"
        for i in range(len(STAGES))
    )
    last = "t0 + make_interval(days => depth * (4 + g % 3))"
    lost_day = "t0 + make_interval(days => depth * (4 + g % 3) + 2)"
    opps = f"""
    INSERT INTO opportunities (opp_id, account_id, type, stage, created_by, amount, owner,
        created_at, updated_at, stage_entered_at, closed_at,
        {", ".join(f"entered_{s}" for s in STAGES)}, entered_closed_lost)
    SELECT 'bench-' || g, 'acct-' || g, 'acquisition',
        CASE WHEN lost THEN 'closed_lost' ELSE (ARRAY{list(STAGES)})[depth + 1] END,
        'bench', 10000 + g % 90000, 'owner-' || g % 50,
        t0, t0, CASE WHEN lost THEN {lost_day} ELSE {last} END,
        CASE WHEN lost THEN {lost_day} WHEN depth = 6 THEN {last} END,
        {stamps}, CASE WHEN lost THEN {lost_day} END
    FROM (SELECT g, now() - make_interval(days => 30 + g % 700) AS t0,
                 (g * 7919) % 7 AS depth, (g * 37) % 100 < 15 AS lost
          FROM generate_series(1, {count}) g) base
    """
    history = [
        f"""INSERT INTO stage_history (opp_id, from_stage, to_stage, at, actor)
        SELECT opp_id, {"NULL" if i == 0 else repr(STAGES[i - 1])}, '{s}', entered_{s}, 'bench'
        FROM opportunities WHERE entered_{s} IS NOT NULL"""
        for i, s in enumerate(STAGES)
    ]
    lost = """INSERT INTO stage_history (opp_id, from_stage, to_stage, at, actor)
        SELECT opp_id, NULL, 'closed_lost', entered_closed_lost, 'bench'
        FROM opportunities WHERE entered_closed_lost IS NOT NULL"""
    # What the moves would have kept (each ends a stay): migration 0006's backfill.
    stage_times = """INSERT INTO stage_times (opp_id, stage, type, created_at, exits, seconds)
        SELECT opp_id, stays.stage, o.type, o.created_at, count(*),
            sum(extract(epoch FROM exited_at - entered_at))
        FROM (SELECT opp_id, to_stage AS stage, at AS entered_at,
                lead(at) OVER (PARTITION BY opp_id ORDER BY id) AS exited_at FROM stage_history) stays
        JOIN opportunities o USING (opp_id) WHERE exited_at IS NOT NULL
        GROUP BY opp_id, stays.stage, o.type, o.created_at"""
    analyze = ["ANALYZE opportunities", "ANALYZE stage_history", "ANALYZE stage_times"]
    return [opps, *history, lost, stage_times, *analyze]


async def seed(settings: OpportunitySettings, count: int, movers: int) -> tuple[list[str], int]:
    engine = create_engine(settings, "opportunity")
    async with engine.begin() as conn:
        for sql in _generate_sql(count):
            await conn.execute(text(sql))
        history = (await conn.execute(text("SELECT count(*) FROM stage_history"))).scalar_one()
        # Movers: fresh opps at target with one committee role (the `active` gate needs one).
        ids = [f"mover-{uuid.uuid4().hex[:12]}" for _ in range(movers)]
        await conn.execute(
            text(
                "INSERT INTO opportunities (opp_id, account_id, type, stage, created_by, entered_target)"
                " SELECT id, 'acct-' || id, 'acquisition', 'target', 'bench', now()"
                " FROM unnest(CAST(:ids AS text[])) id"
            ),
            {"ids": ids},
        )
        await conn.execute(
            text(
                "INSERT INTO contact_roles (opp_id, contact_id, role)"
                " SELECT id, 'c-' || id, 'champion' FROM unnest(CAST(:ids AS text[])) id"
            ),
            {"ids": ids},
        )
    await engine.dispose()
    return ids, int(history)


async def timed_moves(client: httpx.AsyncClient, ids: list[str], moves: int, clients: int) -> float:
    per_opp = max(1, moves // len(ids))

    async def worker(mine: list[str]) -> None:
        for opp_id in mine:
            for i in range(per_opp):
                stage = "active" if i % 2 == 0 else "target"
                response = await client.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": stage})
                assert response.status_code == 200, response.text

    started = time.perf_counter()
    await asyncio.gather(*(worker(ids[i::clients]) for i in range(clients)))
    return per_opp * len(ids) / (time.perf_counter() - started)


async def timed_service_moves(runtime: Runtime, ids: list[str], moves: int, clients: int) -> float:
    """The same moves without HTTP: `move_opp` in a unit of work, one transaction each."""
    settings = runtime.settings
    assert isinstance(settings, OpportunitySettings)
    per_opp = max(1, moves // len(ids))

    async def worker(mine: list[str]) -> None:
        for opp_id in mine:
            for _ in range(per_opp):
                async with runtime.uow() as uow:
                    opp = await uow.opps.get(opp_id, lock=True)
                    assert opp is not None
                    target = "target" if opp.stage == "active" else "active"
                    moved = await move_opp(uow, settings, opp, target, actor="bench", now=datetime.now(UTC))
                    assert not isinstance(moved, Refusal), moved
                    await uow.commit()

    started = time.perf_counter()
    await asyncio.gather(*(worker(ids[i::clients]) for i in range(clients)))
    return per_opp * len(ids) / (time.perf_counter() - started)


def pure_moves_per_second(count: int = 200_000) -> float:
    pipeline, roles = DEFAULT_PIPELINES["acquisition"], {"champion", "influencer", "economic_buyer"}
    fields: dict[str, Any] = {}
    started = time.perf_counter()
    for i in range(count):
        plan_move(
            pipeline,
            "target",
            "prioritized" if i % 2 else "qualified",
            committee=COMMITTEE_ROLES,
            roles=roles,
            fields=fields,
        )
    return count / (time.perf_counter() - started)


async def timed_report(client: httpx.AsyncClient, path: str, runs: int) -> tuple[float, Any]:
    times, body = [], None
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(f"/v1/reports/{path}")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        body = response.json()
    return statistics.median(times), body


async def main(opps: int, moves: int, clients: int, runs: int) -> None:
    server = PostgresServer()
    url = await server.new_database()
    try:
        settings = OpportunitySettings(
            database_url=url, api_keys=[KEY], opportunity_sla_scan_seconds=0, database_pool_size=clients + 2
        )
        await migrate(settings, "opportunity", services.migrations("opportunity"))
        started = time.perf_counter()
        ids, history = await seed(settings, opps, movers=max(clients, min(400, moves // 10)))
        seeded = time.perf_counter() - started
        app = create_app(DEFINITION, settings, with_kafka=False)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {KEY}"}
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", headers=headers
            ) as client:
                rate = await timed_moves(client, ids, moves, clients)
                service_rate = await timed_service_moves(app.state.runtime, ids, moves, clients)
                funnel_s, funnel = await timed_report(client, "funnel?type=acquisition", runs)
                velocity_s, _ = await timed_report(client, "velocity?type=acquisition", runs)
                aging_s, _ = await timed_report(client, "aging?type=acquisition", runs)
        assert funnel["total"] >= opps
        print(
            f"opportunity: {rate:.0f} stage moves/s via API, {service_rate:.0f} without HTTP "
            f"({clients} clients, {moves} moves per path); "
            f"pure planner {pure_moves_per_second():,.0f} moves/s; "
            f"funnel over {funnel['total']:,} opps ({history:,} history rows) {funnel_s * 1000:.0f} ms, "
            f"velocity {velocity_s * 1000:.0f} ms, aging {aging_s * 1000:.0f} ms (median of {runs}); "
            f"seeded in {seeded:.1f} s"
        )
    finally:
        await server.drop(url)
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opps", type=int, default=100_000)
    parser.add_argument("--moves", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(main(args.opps, args.moves, args.clients, args.runs))
