"""Faults under a burst of leads, with every service a real process: SIGKILLed services and
broker, a PostgreSQL restarted (fast, then killed), two replicas of a service in one group with
one killed, and a key's order across a broker restart. Every lead ends converted exactly once,
nothing is dead-lettered, and the logs stay small."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from deploy import services
from deploy.embedded import EmbeddedPostgres, Postmaster
from deploy.services import migrate_all
from shared.settings import Settings
from tests.conftest import make_settings
from tests.support.db import exactly_once, scalar, settled_report
from tests.support.infra import Broker
from tests.support.processes import ServiceProcesses
from tests.support.stack import eventually

# Generous: on a loaded 2-core machine a run takes minutes (bench/recovery.py measures it).
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1200)]
ALL = ("ingest", "matcher", "opportunity", "scoring")
LEADS = 200
DOMAINS = 40
# Lines a service may log in one of these runs: faults are logged, a spin is not.
MAX_LOG_LINES = 400


def processes(database_url: str, broker: Broker, names: tuple[str, ...] = ALL) -> ServiceProcesses:
    return ServiceProcesses(make_settings(database_url, broker.bootstrap), names)


async def ready(stack: ServiceProcesses) -> bool:
    for name in stack.processes:
        try:
            async with stack.client(name) as client:
                if (await client.get("/readyz")).status_code != 200:
                    return False
        except httpx.HTTPError:
            return False
    return True


async def post_leads(stack: ServiceProcesses, numbers: range) -> None:
    """Post these leads 20 at a time; one refused while the stack is hurt is posted again (its
    email makes a second post of it harmless)."""

    async def post(client: httpx.AsyncClient, n: int) -> None:
        body = {"email": f"person{n}@firm{n % DOMAINS}.example", "company": f"Firm {n % DOMAINS}"}
        for _ in range(600):
            try:
                if (await client.post("/v1/leads", json=body)).status_code == 202:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
        raise AssertionError(f"lead {n} was never accepted")

    async with stack.client("ingest") as client:
        for start in range(numbers.start, numbers.stop, 20):
            await asyncio.gather(*(post(client, n) for n in range(start, min(start + 20, numbers.stop))))


async def dead_letters(database_url: str) -> int:
    counts = [await scalar(database_url, f"SELECT count(*) FROM {name}.dead_letters") for name in ALL]
    return sum(counts)


def log_lines(stack: ServiceProcesses) -> dict[str, int]:
    lines = {}
    for name, log in stack.logs.items():
        with open(log.name, encoding="utf-8", errors="replace") as file:
            lines[name] = sum(1 for _ in file)
    return lines


async def settled(stack: ServiceProcesses, database_url: str) -> None:
    report = await settled_report(
        database_url,
        LEADS,
        timeout=600,
        context=lambda: f"\nlogs: {log_lines(stack)}\n{stack.log('opportunity')}",
    )
    assert report == exactly_once(LEADS, DOMAINS)
    assert await dead_letters(database_url) == 0
    noisy = [name for name, n in log_lines(stack).items() if n >= MAX_LOG_LINES]
    assert not noisy, f"{log_lines(stack)}\n" + "\n".join(f"--- {n}\n{stack.log(n)}" for n in noisy)


async def test_a_burst_survives_a_killed_matcher_ingest_and_broker(
    fresh_database_url: str, own_broker: Broker
) -> None:
    stack = processes(fresh_database_url, own_broker).start_all()
    try:
        await eventually(lambda: ready(stack), timeout=120, interval=0.5)
        await post_leads(stack, range(0, 50))
        stack.kill("matcher")
        await post_leads(stack, range(50, 100))
        own_broker.restart()  # SIGKILL: it comes back empty
        await post_leads(stack, range(100, 130))
        stack.start("matcher")
        stack.kill("ingest")
        stack.start("ingest")
        await post_leads(stack, range(130, 170))
        stack.kill("opportunity")
        own_broker.restart()
        stack.start("opportunity")
        await post_leads(stack, range(170, LEADS))
        await settled(stack, fresh_database_url)
    finally:
        stack.stop()


@pytest.fixture
async def own_postgres() -> AsyncIterator[tuple[EmbeddedPostgres, str]]:
    """A PostgreSQL server this test alone uses (to restart and kill it), migrated."""
    home = Path(tempfile.mkdtemp(prefix="cascade-chaos-pg-"))
    server = EmbeddedPostgres(home / "pgdata")
    url = server.url("cascade")
    await migrate_all(Settings(database_url=url), list(services.PORTS))
    yield server, url
    server.stop()
    shutil.rmtree(home, ignore_errors=True)


async def waited(stack: ServiceProcesses, what: str, check: Callable[[], Awaitable[bool]]) -> None:
    """`eventually`, failing with what was awaited and the services' logs."""
    try:
        await eventually(check, timeout=180, interval=0.5)
    except AssertionError:
        logs = "\n".join(f"--- {name}\n{stack.log(name)[-1500:]}" for name in stack.processes)
        raise AssertionError(f"{what}: not after 180 s\n{logs}") from None


async def test_a_burst_survives_postgresql_restarted_then_killed(
    own_postgres: tuple[EmbeddedPostgres, str], broker: Broker
) -> None:
    postgres, url = own_postgres
    stack = processes(url, broker).start_all()
    try:
        await waited(stack, "ready", lambda: ready(stack))
        burst = asyncio.create_task(post_leads(stack, range(0, 120)))
        await waited(stack, "30 leads", lambda: _some_leads(url, 30))
        await asyncio.to_thread(postgres.restart)  # fast: every session gets 57P01
        await waited(stack, "80 leads after a restart", lambda: _some_leads(url, 80))
        postmaster = postgres.start()
        os.kill(postmaster.pid, signal.SIGKILL)
        await waited(stack, "postgres dead", lambda: _dead(postmaster))
        await asyncio.to_thread(postgres.start)  # crash recovery on the same data
        await burst
        await post_leads(stack, range(120, LEADS))
        await settled(stack, url)
    finally:
        stack.stop()


async def _some_leads(url: str, count: int) -> bool:
    try:
        return bool(await scalar(url, "SELECT count(*) >= $1 FROM ingest.leads", count))
    except OSError:
        return False


async def _dead(postmaster: Postmaster) -> bool:
    return postmaster.poll() is not None


@pytest.fixture
def replicas(fresh_database_url: str, broker: Broker) -> Iterator[ServiceProcesses]:
    names = ("ingest", "matcher", "matcher:2", "opportunity", "opportunity:2", "scoring")
    stack = processes(fresh_database_url, broker, names)
    try:
        yield stack
    finally:
        stack.stop()


async def test_two_replicas_in_one_group_with_one_killed_mid_burst(
    replicas: ServiceProcesses, fresh_database_url: str
) -> None:
    for name in ("ingest", "matcher", "opportunity", "scoring"):
        replicas.start(name)
    await eventually(lambda: ready(replicas), timeout=120, interval=0.5)
    burst = asyncio.create_task(post_leads(replicas, range(0, LEADS)))
    await eventually(lambda: _some_leads(fresh_database_url, 40), timeout=120)
    replicas.start("matcher:2")  # a rebalance while batches are in flight
    replicas.start("opportunity:2")
    await eventually(lambda: _some_leads(fresh_database_url, 120), timeout=120)
    replicas.kill("matcher")  # SIGKILL: its partitions move to the other once the group notices
    replicas.kill("opportunity:2")
    await burst
    await settled(replicas, fresh_database_url)


async def test_a_lead_updated_three_times_across_a_broker_restart_ends_with_the_last_values(
    fresh_database_url: str, own_broker: Broker
) -> None:
    stack = processes(fresh_database_url, own_broker).start_all()
    email = "ada@order.example"
    title = "SELECT title FROM matcher.contacts WHERE email = $1"
    try:
        await eventually(lambda: ready(stack), timeout=120, interval=0.5)
        async with stack.client("ingest") as ingest:

            async def post(title: str) -> str:
                body = {"email": email, "company": "Order", "title": title}
                response = await ingest.post("/v1/leads", json=body)
                assert response.status_code == 202
                return str(response.json()["lead_id"])

            lead_id = await post("Engineer")
            await eventually(lambda: _equals(fresh_database_url, title, email, "Engineer"), timeout=120)
            await post("Manager")
            await post("Director")
            own_broker.restart()
            await post("CTO")
        # Once the matcher has every event of the lead (whatever was replayed, in whatever order).
        await eventually(lambda: _all_consumed(fresh_database_url, lead_id), timeout=180)
        assert await scalar(fresh_database_url, title, email) == "CTO"
    finally:
        stack.stop()


async def _equals(url: str, sql: str, arg: str, expected: str) -> bool:
    return bool(await scalar(url, sql, arg) == expected)


async def _all_consumed(url: str, lead_id: str) -> bool:
    missing = await scalar(
        url,
        "SELECT count(*) FROM ingest.outbox o WHERE o.key = $1 AND o.headers->>'ce_type' LIKE 'lead.%'"
        " AND NOT EXISTS (SELECT 1 FROM matcher.inbox i WHERE i.event_id = o.event_id)",
        lead_id,
    )
    events = await scalar(url, "SELECT count(*) FROM ingest.outbox WHERE key = $1", lead_id)
    return bool(missing == 0 and events == 4)
