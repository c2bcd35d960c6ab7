"""Handshakes benchmark: stage owners assigned at a boundary, the escalation scan, the reports.

In a fresh database: N accounts (German, owned by an AE) with an acquisition opp each, an SDR
pool of P weighted reps; then
- boundaries: every opp moved target -> qualified in its own transaction (the SDR chosen by
  weighted round-robin under the pool's lock, a handoff, the next step, `opp.updated`), from C
  concurrent workers, and the largest gap between a rep's assignments and their weight's share;
- the escalation scan over the N handoffs, all overdue;
- the handoff and routing-fairness reports (median of R runs);
- the pure rule's rate (`shared.assignment.choose` over the P-member pool, no I/O).
Prints one line.

    python bench/handshakes.py [--opps 1000] [--reps 20] [--clients 8]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from deploy import services
from services.opportunity.app import escalation
from services.opportunity.app.lifecycle import create_opp, move_opp
from services.opportunity.app.models import AccountCopy
from services.opportunity.bootstrap import DEFINITION
from services.opportunity.settings import OpportunitySettings
from shared.app import create_app
from shared.assignment import Workload, choose, pool_of, rep_of
from shared.events.teams import PoolFields, RepFields
from shared.migrate import migrate
from shared.runtime import Runtime
from shared.territory import Place
from tests.support.infra import PostgresServer

KEY = "bench-key-0123456789abcdef"
UNGATED = {
    "acquisition": [
        {"name": "target", "team": "marketing", "last_marketing": True},
        {"name": "qualified", "team": "sdr", "sdr": True, "sla_hours": 168},
        {"name": "pipeline", "team": "sales"},
        {"name": "closed_won", "team": "sales"},
        {"name": "closed_lost", "team": "sales"},
    ]
}


def team(reps: int) -> tuple[list[RepFields], PoolFields]:
    people = [RepFields(rep_id=f"sdr-{n}", name=f"SDR {n}", team="sdr") for n in range(reps)]
    members = [{"rep_id": r.rep_id, "weight": 1 + n % 3} for n, r in enumerate(people)]
    return people, PoolFields(pool_id="sdr-de", name="SDR DE", team="sdr", countries=["DE"], members=members)


async def seed(runtime: Runtime, settings: OpportunitySettings, opps: int, reps: int) -> list[str]:
    people, pool = team(reps)
    ids = []
    async with runtime.uow() as uow:
        for rep in people:
            await uow.teams.put_rep(rep, 1)
        await uow.teams.put_pool(pool, 1)
        for _ in range(opps):
            account_id = str(uuid.uuid4())
            await uow.copies.put_account(
                AccountCopy(account_id=account_id, name="Werk", owner="ann", country="DE")
            )
            opp = await create_opp(
                uow,
                settings,
                account_id=account_id,
                opp_type="acquisition",
                created_by="bench",
                now=datetime.now(UTC),
            )
            assert opp is not None
            ids.append(opp.opp_id)
        await uow.commit()
    return ids


async def timed_boundaries(
    runtime: Runtime, settings: OpportunitySettings, ids: list[str], clients: int
) -> float:
    async def worker(mine: list[str]) -> None:
        for opp_id in mine:
            async with runtime.uow() as uow:
                opp = await uow.opps.get(opp_id, lock=True)
                assert opp is not None
                await move_opp(uow, settings, opp, "qualified", actor="bench", now=datetime.now(UTC))
                await uow.commit()

    started = time.perf_counter()
    await asyncio.gather(*(worker(ids[i::clients]) for i in range(clients)))
    return len(ids) / (time.perf_counter() - started)


def pure_rate(reps: int, count: int = 20_000) -> float:
    people, fields = team(reps)
    pool, by_id = pool_of(fields), {r.rep_id: rep_of(r) for r in people}
    counts: dict[str, int] = {}
    now, place = datetime.now(UTC), Place.of("DE", 50)
    started = time.perf_counter()
    for _ in range(count):
        chosen = choose(pool, by_id, Workload(counts=counts), now, place).rep_id
        counts[chosen or ""] = counts.get(chosen or "", 0) + 1
    return count / (time.perf_counter() - started)


async def timed_get(client: httpx.AsyncClient, path: str, runs: int) -> tuple[float, dict]:
    times, body = [], {}
    for _ in range(runs):
        started = time.perf_counter()
        answer = await client.get(path)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
        body = answer.json()
    return statistics.median(times), body


async def main(opps: int, reps: int, clients: int, runs: int) -> None:
    server = PostgresServer()
    url = await server.new_database()
    try:
        settings = OpportunitySettings(
            database_url=url,
            api_keys=[KEY],
            opportunity_pipelines=UNGATED,
            opportunity_sla_scan_seconds=0,
            opportunity_handoff_scan_seconds=0,
            opportunity_accept_hours=1e-6,  # every handoff overdue for the scan
            database_pool_size=clients + 2,
        )
        await migrate(settings, "opportunity", services.migrations("opportunity"))
        app = create_app(DEFINITION, settings, with_kafka=False)
        async with app.router.lifespan_context(app):
            runtime: Runtime = app.state.runtime
            ids = await seed(runtime, settings, opps, reps)
            rate = await timed_boundaries(runtime, settings, ids, clients)
            started = time.perf_counter()
            escalated = await escalation.run(runtime.uow, settings)
            scan_s = time.perf_counter() - started
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {KEY}"}
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", headers=headers
            ) as client:
                report_s, _ = await timed_get(client, "/v1/reports/handoffs", runs)
                fair_s, fair = await timed_get(client, "/v1/reports/routing-fairness?pool_id=sdr-de", runs)
        [turn] = fair["pools"]
        assert turn["assigned"] == opps and escalated == opps, (turn["assigned"], escalated)
        worst = max(abs(m["off_by"]) for m in turn["members"])
        print(
            f"handshakes: {rate:.0f} boundary handoffs/s ({clients} workers, a {reps}-rep pool, {opps} opps),"
            f" largest gap to a weighted share {worst:.2f}; escalation scan {opps / scan_s:.0f} handoffs/s;"
            f" handoff report {report_s * 1000:.0f} ms, fairness {fair_s * 1000:.0f} ms (median of {runs});"
            f" pure rule {pure_rate(reps):,.0f} decisions/s"
        )
    finally:
        await server.drop(url)
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opps", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(main(args.opps, args.reps, args.clients, args.runs))
