"""Console benchmark: p95 page time of the opportunity board and the reports over 100,000 opps.

Generates N acquisition opps with stamps and stage history (bench/opportunity.py's generator) in a
fresh database; runs the opportunity service and the console in-process, the console calling the
service's API through ASGI (no network hop) with its own key, signed in as a person; then
requests each page R times, one after another, and prints one line with the p95 of each.
Target: under 300 ms.

    python bench/console.py [--opps 100000] [--runs 40]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from opportunity import seed  # bench/opportunity.py

from deploy import services
from services.console.adapters.services import HttpServices
from services.console.bootstrap import DEFINITION as CONSOLE
from services.opportunity.bootstrap import DEFINITION as OPPORTUNITY
from services.opportunity.settings import OpportunitySettings
from shared.app import create_app
from shared.migrate import migrate
from tests.support.infra import PostgresServer

KEY = "console-bench-key-0123456789"
PAGES = {
    "board": "/opportunities?type=acquisition",
    "funnel": "/reports/funnel?type=acquisition",
    "velocity": "/reports/velocity?type=acquisition",
    "aging": "/reports/aging?type=acquisition",
}
TARGET_MS = 300


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]


async def sign_in(client: httpx.AsyncClient, password: str) -> None:
    form = await client.get("/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf, form.text
    signed = await client.post(
        "/sign-in", data={"username": "admin", "password": password, "csrf_token": csrf.group(1)}
    )
    assert signed.status_code == 303, signed.text


async def timed(client: httpx.AsyncClient, path: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        page = await client.get(path)
        times.append(time.perf_counter() - started)
        assert page.status_code == 200 and "cannot be shown" not in page.text, page.text[-1500:]
    return times


async def pages(
    opportunity: Any, common: dict[str, Any], password_file: Path, runs: int, *, cache_seconds: float
) -> dict[str, float]:
    """p95 milliseconds of each page, from a console whose report reads are reused for `cache_seconds`."""
    settings = CONSOLE.settings(
        **common,
        console_api_key=KEY,
        console_admin_password_file=password_file,
        console_report_cache_seconds=cache_seconds,
    )
    console = create_app(CONSOLE, settings, with_kafka=False)
    async with console.router.lifespan_context(console):
        await console.state.runtime.clients["services"].aclose()
        to_service = httpx.ASGITransport(app=opportunity)
        console.state.runtime.clients["services"] = HttpServices(settings, transport=to_service)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=console), base_url="http://c"
        ) as client:
            await sign_in(client, "bench-admin-password")
            for path in PAGES.values():  # warm: plans cached, templates compiled
                await timed(client, path, 2)
            return {name: p95(await timed(client, path, runs)) * 1000 for name, path in PAGES.items()}


async def main(opps: int, runs: int) -> None:
    server = PostgresServer()
    url = await server.new_database()
    password_file = Path(tempfile.mkdtemp()) / "console-password"
    password_file.write_text("bench-admin-password\n")
    try:
        common = {"database_url": url, "api_keys": [f"console:console={KEY}"], "database_pool_size": 12}
        settings = OpportunitySettings(**common, opportunity_sla_scan_seconds=0)
        await migrate(settings, "opportunity", services.migrations("opportunity"))
        await migrate(settings, "console", services.migrations("console"))
        await seed(settings, opps, movers=1)
        opportunity = create_app(OPPORTUNITY, settings, with_kafka=False)
        async with opportunity.router.lifespan_context(opportunity):
            live = await pages(opportunity, common, password_file, runs, cache_seconds=0)
            cached = await pages(opportunity, common, password_file, runs, cache_seconds=30)
        slowest = max([*live.values(), cached["board"]])
        verdict = "under" if slowest < TARGET_MS else "OVER"
        print(
            f"console over {opps:,} opps, p95 of {runs} requests each (console to opportunity in-process):"
            f" read live: {', '.join(f'{name} {ms:.0f} ms' for name, ms in live.items())};"
            f" reports reused for 30 s: {', '.join(f'{name} {ms:.0f} ms' for name, ms in cached.items())};"
            f" live pages {verdict} the {TARGET_MS} ms target"
        )
    finally:
        password_file.unlink(missing_ok=True)
        await server.drop(url)
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opps", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(main(args.opps, args.runs))
