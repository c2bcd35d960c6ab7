"""Webhook throughput of the ingest service next to a bare FastAPI endpoint, in one run.

Starts, on this machine: a Tansu broker, the ingest service (one uvicorn process, migrations
applied, outbox relay publishing) and a bare FastAPI app (one uvicorn process whose endpoint
parses the JSON body and answers 200). Then, from C concurrent clients for D seconds each:

- bare: the same single-lead JSON body posted to the bare endpoint;
- single: signed single-lead webhooks (Standard Webhooks, the `generic` source), each a new person;
- batch: signed 100-item webhooks.

Every 2xx from ingest means the raw body, the lead and its outbox event were committed to
PostgreSQL. Prints one line. PostgreSQL: DATABASE_URL, else 127.0.0.1:5432, else embedded.

    python bench/ingest.py [--seconds 15] [--clients 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.embedded import EmbeddedPostgres, free_port, start_tansu, wait_for_port  # noqa: E402
from shared.db import drop_database  # noqa: E402
from tests.support import signing  # noqa: E402

SECRET = "whsec_" + "YmVuY2gtaW5nZXN0LXNlY3JldC1rZXktMzItYnl0ZXM="
BARE_APP = """
from fastapi import FastAPI, Request
app = FastAPI()

@app.post("/bare")
async def bare(request: Request) -> dict[str, bool]:
    await request.json()
    return {"ok": True}
"""


def lead(n: int) -> dict[str, object]:
    return {
        "email": f"bench-{uuid.uuid4().hex[:12]}@company{n % 5000}.example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "title": "VP Engineering",
        "company": f"Company {n % 5000} Ltd",
        "website": f"https://www.company{n % 5000}.example.com",
        "country": "United Kingdom",
        "phone": "+44 20 7183 8750",
        "employees": "250",
    }


async def database_url() -> tuple[str, EmbeddedPostgres | None]:
    """DATABASE_URL as given, else a new database on the local server (dropped after), else embedded."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], None
    try:
        conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres", timeout=2)
        await conn.close()
        # A database of its own each run: an old run's outbox would be replayed to the new broker.
        return (
            f"postgresql+asyncpg://postgres@127.0.0.1:5432/cascade_bench_ingest_{uuid.uuid4().hex[:8]}",
            None,
        )
    except (OSError, asyncpg.PostgresError):
        server = EmbeddedPostgres(Path(tempfile.mkdtemp()) / "pgdata")
        return server.url("cascade_bench_ingest"), server


async def load(
    client: httpx.AsyncClient, clients: int, seconds: float, request: Callable[[int], httpx.Request]
) -> tuple[float, int]:
    """Requests/s over `seconds` from `clients` concurrent senders; failures are counted, not timed."""
    done, failed, counter = 0, 0, 0
    deadline = time.monotonic() + seconds

    async def sender() -> None:
        nonlocal done, failed, counter
        while time.monotonic() < deadline:
            counter += 1
            response = await client.send(request(counter))
            if response.status_code == 200:
                done += 1
            else:
                failed += 1
                if failed <= 3:
                    print("  failed:", response.status_code, response.text[:200], file=sys.stderr)

    started = time.monotonic()
    await asyncio.gather(*(sender() for _ in range(clients)))
    return done / (time.monotonic() - started), failed


def start(url: str, clients: int, work: Path) -> tuple[list[subprocess.Popen[bytes]], str, str]:
    """The broker, the ingest service and the bare app, each its own process; their base URLs."""
    broker_port, ingest_port, bare_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{broker_port}",
        "KAFKA_FETCH_MAX_WAIT_MS": "50",
        "API_KEYS": "bench-api-key-0123456789",
        "WEBHOOK_SECRETS": json.dumps({"generic": SECRET}),
        "WEBHOOK_MAX_IN_FLIGHT": str(clients * 2),
        "LOG_LEVEL": "WARNING",
    }
    processes = [start_tansu(broker_port, (work / "broker.log").open("wb"))]
    subprocess.run([sys.executable, "-m", "deploy.cli", "migrate", "ingest"], env=env, check=True, cwd=ROOT)
    (work / "bare_app.py").write_text(BARE_APP)
    bare = ["-m", "uvicorn", "bare_app:app", "--app-dir", str(work), "--port", str(bare_port)]
    ingest = ["-m", "deploy.cli", "serve", "ingest", "--port", str(ingest_port)]
    for argv in (ingest, [*bare, "--log-level", "warning", "--no-access-log"]):
        processes.append(subprocess.Popen([sys.executable, *argv], env=env, cwd=ROOT))
    for port in (ingest_port, bare_port):
        wait_for_port(port, timeout=60)
    return processes, f"http://127.0.0.1:{ingest_port}", f"http://127.0.0.1:{bare_port}"


async def measure(ingest: str, bare: str, seconds: float, clients: int) -> str:
    body = json.dumps(lead(0)).encode()

    def bare_request(_: int) -> httpx.Request:
        return httpx.Request(
            "POST", f"{bare}/bare", content=body, headers={"Content-Type": "application/json"}
        )

    def webhook(items: int) -> Callable[[int], httpx.Request]:
        def request(n: int) -> httpx.Request:
            records = [lead(n * items + i) for i in range(items)]
            payload = json.dumps(records[0] if items == 1 else {"data": records}).encode()
            headers = signing.standard(SECRET, f"msg_{uuid.uuid4().hex}", payload)
            return httpx.Request("POST", f"{ingest}/v1/webhooks/generic", content=payload, headers=headers)

        return request

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await load(client, clients, 2, webhook(1))  # warm-up: connections, caches
        bare_rate, _ = await load(client, clients, seconds, bare_request)
        single, single_failed = await load(client, clients, seconds, webhook(1))
        batch, batch_failed = await load(client, max(2, clients // 4), seconds, webhook(100))
    return (
        f"ingest webhooks ({clients} clients, {seconds:.0f}s each): single lead {single:.0f} webhooks/s"
        f" = {single:.0f} items/s; 100-item batch {batch:.1f} webhooks/s = {batch * 100:.0f} items/s;"
        f" bare FastAPI endpoint {bare_rate:.0f} req/s; single/bare = {single / bare_rate:.2f}"
        f" (failed: {single_failed} single, {batch_failed} batch)"
    )


def main(seconds: float, clients: int) -> None:
    url, embedded = asyncio.run(database_url())
    created_here = url != os.environ.get("DATABASE_URL") and embedded is None
    processes, ingest, bare = start(url, clients, Path(tempfile.mkdtemp(prefix="cascade-bench-ingest-")))
    try:
        print(asyncio.run(measure(ingest, bare, seconds, clients)))
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        if embedded is not None:
            embedded.stop()
        if created_here:
            asyncio.run(drop_database(url))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    main(args.seconds, args.clients)
