"""Outbound benchmark: signed webhook deliveries/s to a local receiver, and p99 event -> delivered.

The outbound service runs in this process against a real PostgreSQL and a real broker (Tansu);
the receiver is a separate uvicorn process answering 200. S subscriptions to `lead.converted`
are created, then N events (one key each) are produced as fast as the producer can; timed from
the first send until every delivery is recorded delivered (consumed, queued, signed, POSTed,
answered, its attempt logged and committed). Latency: the event's time (set when it
is produced) to its `delivered_at`, measured on P events sent one at a time at R/s after the
burst (a burst's latency is its queue). Prints one line.

    python bench/outbound.py [--events 5000] [--subscriptions 1] [--paced 300] [--rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from deploy.embedded import free_port, wait_for_port
from services.outbound.bootstrap import DEFINITION, MIGRATIONS
from services.outbound.settings import OutboundSettings
from shared.app import create_app
from shared.db import libpq_url
from shared.events import Envelope, LeadConverted, encode_headers
from shared.migrate import migrate
from shared.runtime import Runtime
from tests.support.infra import Broker, PostgresServer

KEY = "bench-key-0123456789abcdef"


async def receiver(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
    """The subscriber: takes the body, answers 200."""
    assert scope["type"] == "http"
    more = True
    while more:
        message = await receive()  # type: ignore[operator]
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]


def start_receiver() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.outbound:receiver",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(command, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    wait_for_port(port)
    return process, port


def converted() -> tuple[bytes, list[tuple[str, bytes]], str, str]:
    event = LeadConverted(
        lead_id=str(uuid.uuid4()),
        contact_id=str(uuid.uuid4()),
        account_id=str(uuid.uuid4()),
        account_created=False,
        method="email_domain",
        confidence=0.97,
        explanation="bench",
        email="b@bench.example",
    )
    record = Envelope(
        id=str(uuid.uuid4()),
        source="bench",
        type=event.TYPE,
        subject=event.key(),
        time=datetime.now(UTC),
        data=event.model_dump(mode="json"),
        aggregate_version=1,
    )
    return json.dumps(record.data).encode(), encode_headers(record), event.key(), record.id


async def bench(url: str, broker: Broker, events: int, subscriptions: int, paced: int, rate: float) -> str:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    settings = OutboundSettings(
        database_url=url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=prefix,
        kafka_fetch_max_wait_ms=50,
        api_keys=[KEY],
        outbound_allow_loopback_targets=True,
        outbound_delivery_poll_seconds=0.05,
        outbound_watch_seconds=0,
        log_level="WARNING",
    )
    await migrate(settings, "outbound", MIGRATIONS)
    process, port = start_receiver()
    app = create_app(DEFINITION, settings)
    async with AsyncExitStack() as stack:
        stack.callback(process.terminate)
        await stack.enter_async_context(app.router.lifespan_context(app))
        runtime: Runtime = app.state.runtime
        while not (runtime.broker_connected and runtime.consumer and runtime.consumer.assigned()):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://outbound")
        for _ in range(subscriptions):
            body = {"url": f"http://127.0.0.1:{port}/hook", "events": ["lead.converted"]}
            created = await client.post(
                "/v1/subscriptions", json=body, headers={"Authorization": f"Bearer {KEY}"}
            )
            assert created.status_code == 201, created.text
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", linger_ms=5)
        await producer.start()
        stack.push_async_callback(producer.stop)
        conn = await asyncpg.connect(libpq_url(url), server_settings={"search_path": "outbound"})
        stack.push_async_callback(conn.close)
        records = [converted() for _ in range(events)]
        started = time.monotonic()
        sent = [
            await producer.send(prefix + "lead.converted", v, key=k.encode(), headers=h)
            for v, h, k, _ in records
        ]
        await asyncio.gather(*sent)
        wanted = events * subscriptions
        await delivered(conn, wanted, started)
        elapsed = time.monotonic() - started
        paced_ids = []
        for _ in range(paced):  # one event at a time, as live traffic comes: the latency of one
            value, headers, key, event_id = converted()
            await producer.send_and_wait(prefix + "lead.converted", value, key=key.encode(), headers=headers)
            paced_ids.append(event_id)
            await asyncio.sleep(1 / rate)
        await delivered(conn, wanted + paced * subscriptions, started)
        latency = (
            "SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP"
            " (ORDER BY extract(epoch FROM delivered_at - event_at))"
            " FROM deliveries WHERE event_id = ANY($1::text[])"
        )
        p50, p99 = await conn.fetchval(latency, paced_ids)
        attempts = await conn.fetchval("SELECT count(*) FROM attempts")
    return (
        f"outbound: burst of {wanted} signed deliveries ({events} events x {subscriptions} subscription(s))"
        f" to a local receiver in {elapsed:.1f}s = {wanted / elapsed:.0f} deliveries/s;"
        f" paced at {rate:g} events/s: event -> delivered p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
        f" ({paced} events); {attempts} attempts"
    )


async def delivered(conn: asyncpg.Connection, wanted: int, started: float) -> None:
    query = "SELECT count(*) FROM deliveries WHERE status = 'delivered'"
    while (done := await conn.fetchval(query)) < wanted:
        if time.monotonic() - started > 900:
            raise SystemExit(f"timed out: {done} of {wanted} delivered")
        await asyncio.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--subscriptions", type=int, default=1)
    parser.add_argument("--paced", type=int, default=300, help="events sent one at a time after the burst")
    parser.add_argument("--rate", type=float, default=10.0, help="paced events per second")
    args = parser.parse_args()
    postgres = PostgresServer()
    broker = Broker(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")).start()
    try:
        url = asyncio.run(postgres.new_database())
        try:
            print(asyncio.run(bench(url, broker, args.events, args.subscriptions, args.paced, args.rate)))
        finally:
            asyncio.run(postgres.drop(url))
    finally:
        broker.stop()
        postgres.stop()


if __name__ == "__main__":
    main()
