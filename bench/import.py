"""Bulk lead import benchmark on the embedded stack: a file of N leads through
`POST /v1/leads/import` to `lead.converted` and their opps, while live leads keep coming.

The directory first gets N/4 accounts (`POST /v1/accounts/import`). The file mixes leads at
those accounts' domains (matched onto them), leads of new companies (each founds an account and
an Acquisition opp) and free-mail leads naming a known company (matched by name, or sent to
review). During the import, live leads are posted at R leads/s; their POST -> `lead.converted`
latency is what a backfill must not hurt. Done when every imported lead is converted (its
account's opp seen) or held for review. Prints one line.

    python bench/import.py --start [--leads 100000] [--live-rate 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
import uuid
from pathlib import Path

import httpx
from e2e import Watcher, embedded_stack, percentile, post_leads, wait_ready


def accounts_file(count: int, run_id: str) -> str:
    lines = (
        json.dumps(
            {
                "external_id": f"{run_id}-{n}",
                "name": f"Known {run_id} {n} Group",
                "domains": [f"known{n}-{run_id}.example"],
            }
        )
        for n in range(count)
    )
    return "\n".join(lines)


def leads_file(count: int, accounts: int, run_id: str) -> tuple[str, dict[str, int]]:
    rng = random.Random(7)
    mix = {"at_known_domain": 0, "new_company": 0, "free_mail": 0}
    rows = ["email,first_name,last_name,company,title,employees,country"]
    for n in range(count):
        roll = rng.random()
        if roll < 0.45:
            kind, domain, company = "at_known_domain", f"known{rng.randrange(accounts)}-{run_id}.example", ""
        elif roll < 0.9:
            kind, domain, company = "new_company", f"new{n}-{run_id}.example", f"New {run_id} {n}"
        else:
            kind, domain, company = (
                "free_mail",
                "gmail.com",
                f"Known {run_id} {rng.randrange(accounts)} Group",
            )
        mix[kind] += 1
        rows.append(f"p{n}.{run_id}@{domain},Pat,Lee{n},{company},Director of Operations,250,US")
    return "\n".join(rows), mix


async def run(state: Path, leads: int, live_rate: float) -> str:
    stack = json.loads((state / "stack.json").read_text())
    key = (state / "api-key").read_text().strip()
    ports = stack["ports"]
    await wait_ready(ports, time.monotonic() + 120)
    run_id = uuid.uuid4().hex[:6]
    headers = {"Authorization": f"Bearer {key}"}
    watcher = Watcher(stack["kafka_bootstrap_servers"], os.environ.get("KAFKA_TOPIC_PREFIX", ""))
    watching = asyncio.create_task(watcher.run())
    await asyncio.sleep(3)
    accounts = max(1, leads // 4)
    body, mix = leads_file(leads, accounts, run_id)
    async with httpx.AsyncClient(headers=headers, timeout=600) as client:
        loaded = await client.post(
            f"http://127.0.0.1:{ports['matcher']}/v1/accounts/import",
            params={"wait": "true"},
            content=accounts_file(accounts, run_id),
            headers={"Content-Type": "application/x-ndjson"},
        )
        loaded.raise_for_status()
        began = time.perf_counter()
        started = await client.post(
            f"http://127.0.0.1:{ports['ingest']}/v1/leads/import",
            content=body,
            headers={"Content-Type": "text/csv"},
        )
        started.raise_for_status()
        live: dict[str, float] = {}
        live_url = f"http://127.0.0.1:{ports['ingest']}/v1/leads"

        def imported_done() -> bool:
            settled = [lead for lead in [*watcher.converted_at, *watcher.held] if lead not in live]
            converted = [lead for lead in watcher.account_of if lead not in live]
            return len(settled) >= leads and all(
                watcher.account_of[lead] in watcher.opp_at for lead in converted
            )

        async def live_traffic() -> None:
            while not imported_done():
                await post_leads(live_url, key, int(live_rate * 10), 1, live_rate, live)

        traffic = asyncio.create_task(live_traffic())
        while not imported_done():  # noqa: ASYNC110
            await asyncio.sleep(0.5)
        took = time.perf_counter() - began
        await traffic
        report = (await client.get(f"http://127.0.0.1:{ports['ingest']}{started.headers['location']}")).json()
    while not all(lead in watcher.converted_at or lead in watcher.held for lead in live):  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    watching.cancel()
    latencies = [
        (watcher.converted_at[lead] - t) * 1000 for lead, t in live.items() if lead in watcher.converted_at
    ]
    held = sum(lead not in live for lead in watcher.held)
    figures = [
        f"import: {leads} leads ({mix['at_known_domain']} at known domains,",
        f"{mix['new_company']} new companies, {mix['free_mail']} free-mail; {report['created']} created)",
        f"converted with their opps or held ({held} in review) in {took:.0f} s ({leads / took:.0f} leads/s);",
        f"{len(live)} live leads at {live_rate:g}/s meanwhile: POST->lead.converted",
        f"p50 {statistics.median(latencies):.0f} ms p99 {percentile(latencies, 0.99):.0f} ms",
    ]
    return " ".join(figures)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--live-rate", type=float, default=5.0)
    parser.add_argument("--state-dir", type=Path, default=Path(".cascade"))
    parser.add_argument("--start", action="store_true", help="start `cascade up` in a temporary state dir")
    args = parser.parse_args()
    with embedded_stack(args.state_dir, start=args.start) as state:
        print(asyncio.run(run(state, args.leads, args.live_rate)))


if __name__ == "__main__":
    main()
