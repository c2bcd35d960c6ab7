"""Ingest under a real load generator, next to a bare FastAPI endpoint, in one run.

Starts, on this machine: a Tansu broker, the ingest service (one uvicorn process, migrations
applied, outbox relay publishing) and a bare FastAPI app (one uvicorn process whose endpoint
parses the same JSON body with pydantic and answers 200). Then `wrk` (Debian's package) loads,
for D seconds each with T threads and C connections:

- bare: `POST /bare` with the lead bodies;
- leads: `POST /v1/leads`, each request a new person;
- webhooks: signed single-lead `generic` webhooks (Standard Webhooks), pre-signed, each once.

Every 2xx from ingest means the lead and its outbox event were committed to PostgreSQL; the run
counts the leads stored against the 2xx answers. Prints one line.

    python bench/ingest.py [--seconds 15] [--threads 2] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.embedded import EmbeddedPostgres, free_port, start_tansu, wait_for_port  # noqa: E402
from shared.db import drop_database, libpq_url  # noqa: E402
from tests.support import signing  # noqa: E402

API_KEY = "bench-api-key-0123456789"
WRK = ROOT / "bench" / "wrk"
SECRET = "whsec_" + "YmVuY2gtaW5nZXN0LXNlY3JldC1rZXktMzItYnl0ZXM="
# The same body parsed by a pydantic model of the same fields, answered 200.
BARE_APP = """
from fastapi import FastAPI
from pydantic import BaseModel
app = FastAPI()

class Lead(BaseModel):
    email: str
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    company: str | None = None
    website: str | None = None
    country: str | None = None
    phone: str | None = None
    employees: str | None = None

@app.post("/bare")
async def bare(lead: Lead) -> dict[str, bool]:
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


def start(url: str, clients: int, work: Path) -> tuple[list[subprocess.Popen[bytes]], str, str]:
    """The broker, the ingest service and the bare app, each its own process; their base URLs."""
    broker_port, ingest_port, bare_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{broker_port}",
        "KAFKA_FETCH_MAX_WAIT_MS": "50",
        "API_KEYS": f"bench:write={API_KEY}",
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


@dataclass(frozen=True)
class WrkRun:
    rate: float
    p99_ms: float
    requests: int
    errors: int


def wrk(url: str, script: str, args: list[str], seconds: float, threads: int, connections: int) -> WrkRun:
    """One wrk run; its requests/s, p99 latency, requests sent and non-2xx or socket errors."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:.0f}s", "--latency", "--timeout", "10s"]
    out = subprocess.run(
        [*argv, "-s", str(WRK / script), url, "--", *args], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)] if p99 else 0.0
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    return WrkRun(rate, float(p99.group(1)) * unit if p99 else 0.0, requests, errors)


def presigned(path: Path, count: int) -> None:
    """`count` signed single-lead deliveries, a line each, for signed.lua."""
    with path.open("w") as out:
        for n in range(count):
            body = json.dumps(lead(n))
            msg_id = f"msg_{uuid.uuid4().hex}"
            headers = signing.standard(SECRET, msg_id, body.encode())
            out.write(f"{msg_id}\t{headers['webhook-timestamp']}\t{headers['webhook-signature']}\t{body}\n")


async def stored_leads(url: str) -> int:
    conn = await asyncpg.connect(libpq_url(url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM ingest.leads"))
    finally:
        await conn.close()


def measure(url: str, ingest: str, bare: str, load: dict[str, Any], work: Path) -> str:
    run, seconds = uuid.uuid4().hex[:8], load["seconds"]
    threads, connections = load["threads"], load["connections"]
    wrk(ingest, "leads.lua", ["/v1/leads", API_KEY, f"warm{run}"], 3, threads, connections)
    bare_run = wrk(bare, "leads.lua", ["/bare", API_KEY, run], **load)
    before = asyncio.run(stored_leads(url))
    leads = wrk(ingest, "leads.lua", ["/v1/leads", API_KEY, run], **load)
    stored = asyncio.run(stored_leads(url)) - before
    presigned(work / "signed.tsv", int(max(leads.rate, 500) * seconds * 1.5))
    hooks = wrk(ingest, "signed.lua", ["/v1/webhooks/generic", str(work / "signed.tsv")], **load)
    return (
        f"ingest under wrk -t{threads} -c{connections} {seconds:.0f}s: POST /v1/leads {leads.rate:.0f} req/s"
        f" (p99 {leads.p99_ms:.0f} ms, {stored} stored of {leads.requests - leads.errors} answered 2xx,"
        f" {leads.errors} errors); bare FastAPI endpoint {bare_run.rate:.0f} req/s"
        f" (p99 {bare_run.p99_ms:.0f} ms); leads/bare = {leads.rate / bare_run.rate:.2f};"
        f" signed single-lead webhooks {hooks.rate:.0f}/s"
        f" (p99 {hooks.p99_ms:.0f} ms, {hooks.errors} errors)"
    )


def main(seconds: float, threads: int, connections: int) -> None:
    url, embedded = asyncio.run(database_url())
    created_here = url != os.environ.get("DATABASE_URL") and embedded is None
    work = Path(tempfile.mkdtemp(prefix="cascade-bench-ingest-"))
    processes, ingest, bare = start(url, connections, work)
    try:
        load = {"seconds": seconds, "threads": threads, "connections": connections}
        print(measure(url, ingest, bare, load, work))
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
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    main(args.seconds, args.threads, args.connections)
