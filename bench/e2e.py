"""End-to-end benchmark of the embedded stack.

Two runs of N leads, each lead from its own company (so each founds an account and an
Acquisition opp): a burst from C concurrent clients gives the leads/s ingest accepts and the
leads/s the whole pipeline carries through to `opp.created`; then, once it has drained, a run
paced at R leads/s gives p50/p99 from `POST /v1/leads` to `lead.converted` and to
`opp.created`, as a client consumer of those topics sees them. Prints one line.

    python bench/e2e.py --start            # starts `cascade up` in a temporary state dir
    python bench/e2e.py --state-dir .cascade  # against a running `make run`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def wait_ready(ports: dict[str, int], deadline: float) -> None:
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                codes = [
                    (await client.get(f"http://127.0.0.1:{p}/readyz")).status_code for p in ports.values()
                ]
                if all(code == 200 for code in codes):
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise SystemExit("the stack did not become ready")


def service_cpu(ports: dict[str, int]) -> dict[str, float]:
    """CPU seconds each service process of the stack has used so far (Linux /proc)."""
    used: dict[str, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        for name, port in ports.items():
            if b"serve" in argv and name.encode() in argv and str(port).encode() in argv:
                used[name] = used.get(name, 0.0) + (int(stat[11]) + int(stat[12])) / ticks
    return used


def cpu_per_lead(
    before: dict[str, float], after: dict[str, float], leads: int, idle: dict[str, float], seconds: float
) -> str:
    """Each service's CPU ms per lead over the burst, and (the part that is per second, not per
    lead: polls, checks, metrics) its idle CPU share, which the figure excludes."""
    return ", ".join(
        f"{name} {(after[name] - before[name] - idle[name] * seconds) * 1000 / leads:.1f}"
        f" (idle {idle[name] * 100:.0f}%)"
        for name in sorted(after)
    )


IDLE_SECONDS = 10.0


class Watcher:
    """Times every `lead.converted` and `opp.created` as a client consumer receives it."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.converted_at: dict[str, float] = {}
        self.account_of: dict[str, str] = {}
        self.opp_at: dict[str, float] = {}
        self.held: dict[str, str] = {}  # leads sent to review or rejected: their event type
        self._consumer = AIOKafkaConsumer(
            f"{prefix}lead.converted",
            f"{prefix}opp.created",
            f"{prefix}lead.review_requested",
            f"{prefix}lead.rejected",
            bootstrap_servers=bootstrap,
            group_id=f"bench-{uuid.uuid4().hex}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_wait_ms=20,  # time a record waits in the broker for us is not pipeline latency
        )

    async def run(self) -> None:
        await self._consumer.start()
        try:
            while True:
                batch = await self._consumer.getmany(timeout_ms=200)
                now = time.perf_counter()
                for record in (r for records in batch.values() for r in records):
                    data = json.loads(record.value)
                    if record.topic.endswith("lead.converted"):
                        self.converted_at.setdefault(data["lead_id"], now)
                        self.account_of[data["lead_id"]] = data["account_id"]
                    elif record.topic.endswith("opp.created"):
                        self.opp_at.setdefault(data["account_id"], now)
                    else:
                        self.held[data["lead_id"]] = record.topic.rsplit(".", 1)[-1]
        finally:
            await self._consumer.stop()

    def done(self, leads: Iterable[str]) -> bool:
        return all(self.account_of.get(lead) in self.opp_at for lead in leads)

    def latencies(self, sent: dict[str, float]) -> tuple[list[float], list[float]]:
        converted = [(self.converted_at[lead] - t) * 1000 for lead, t in sent.items()]
        opened = [(self.opp_at[self.account_of[lead]] - t) * 1000 for lead, t in sent.items()]
        return converted, opened


async def post_leads(
    url: str, key: str, count: int, concurrency: int, rate: float | None, sent: dict[str, float]
) -> float:
    """POST `count` leads, each from its own company; returns the accepted leads/s."""
    run_id = uuid.uuid4().hex[:8]
    numbers = iter(range(count))
    began = time.perf_counter()

    async def client_loop(client: httpx.AsyncClient) -> None:
        for n in numbers:
            if rate:  # open loop: lead n leaves at its slot, whatever the previous answers took
                await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
            body = {
                "email": f"buyer{n}@bench{run_id}-{n}.example",
                "company": f"Bench {run_id} {n}",
                "title": "Director of Operations",
                "employees": 250,
            }
            started = time.perf_counter()
            response = await client.post(url, json=body)
            response.raise_for_status()
            sent[response.json()["lead_id"]] = started

    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
        await asyncio.gather(*[client_loop(client) for _ in range(concurrency)])
    return count / (time.perf_counter() - began)


async def settle(watcher: Watcher, sent: dict[str, float], deadline: float) -> None:
    while not watcher.done(sent) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    if not watcher.done(sent):
        missing = [lead for lead in sent if watcher.account_of.get(lead) not in watcher.opp_at]
        raise SystemExit(f"{len(missing)} leads never reached opp.created, e.g. {missing[:3]}")


async def run(state: Path, leads: int, concurrency: int, rate: float) -> str:
    stack = json.loads((state / "stack.json").read_text())
    key = (state / "api-key").read_text().strip()
    await wait_ready(stack["ports"], time.monotonic() + 120)
    url = f"http://127.0.0.1:{stack['ports']['ingest']}/v1/leads"
    watcher = Watcher(stack["kafka_bootstrap_servers"], os.environ.get("KAFKA_TOPIC_PREFIX", ""))
    watching = asyncio.create_task(watcher.run())
    await asyncio.sleep(3)  # let the watcher join its group before the first lead
    # Burst: how fast ingest accepts (durably stores) leads, and how fast the pipeline drains them.
    burst_sent: dict[str, float] = {}
    idle_before, idle_began = service_cpu(stack["ports"]), time.perf_counter()
    await asyncio.sleep(IDLE_SECONDS)
    cpu_before = service_cpu(stack["ports"])
    idle = {
        name: (cpu_before[name] - idle_before[name]) / (time.perf_counter() - idle_began)
        for name in cpu_before
    }
    began = time.perf_counter()
    accepted = await post_leads(url, key, leads, concurrency, None, burst_sent)
    await settle(watcher, burst_sent, time.monotonic() + 600)
    drained = leads / (max(watcher.opp_at.values()) - began)
    cpu = cpu_per_lead(cpu_before, service_cpu(stack["ports"]), leads, idle, time.perf_counter() - began)
    # Paced: latency through an idle pipeline at a rate it sustains.
    sent: dict[str, float] = {}
    await post_leads(url, key, leads, concurrency, rate, sent)
    await settle(watcher, sent, time.monotonic() + 600)
    watching.cancel()
    converted, opened = watcher.latencies(sent)

    def summary(values: list[float]) -> str:
        return f"p50 {statistics.median(values):.0f} ms p99 {percentile(values, 0.99):.0f} ms"

    return (
        f"e2e: {leads} leads; burst from {concurrency} clients: {accepted:.0f} leads/s accepted, "
        f"{drained:.0f} leads/s through to opp.created; paced at {rate:g} leads/s: "
        f"POST->lead.converted {summary(converted)}, POST->opp.created {summary(opened)}; "
        f"burst CPU ms per lead: {cpu}"
    )


@contextlib.contextmanager
def embedded_stack(state_dir: Path, *, start: bool) -> Iterator[Path]:
    """The state dir of a running stack: `state_dir`'s, or one `cascade up` starts (and stops)."""
    if not start:
        yield state_dir
        return
    state = Path(tempfile.mkdtemp(prefix="cascade-bench-"))
    stack = subprocess.Popen(
        [sys.executable, "-m", "deploy.cli", "up", "--state-dir", str(state)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not (state / "stack.json").exists():
            if stack.poll() is not None:
                raise SystemExit("cascade up exited; see its logs under " + str(state / "logs"))
            time.sleep(0.5)
        yield state
    finally:
        stack.send_signal(signal.SIGINT)
        stack.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=10.0, help="leads/s of the paced (latency) run")
    parser.add_argument("--state-dir", type=Path, default=Path(".cascade"))
    parser.add_argument("--start", action="store_true", help="start `cascade up` in a temporary state dir")
    args = parser.parse_args()
    with embedded_stack(args.state_dir, start=args.start) as state:
        print(asyncio.run(run(state, args.leads, args.concurrency, args.rate)))


if __name__ == "__main__":
    main()
