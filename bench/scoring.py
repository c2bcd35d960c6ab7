"""Scoring benchmark: engagement events/s scored end to end, and the decay pass over 1,000,000 people.

- engagement: the scoring service runs in this process against a real PostgreSQL and a real
  broker (Tansu); L leads are created, then E `engagement.recorded` events are produced as fast
  as the producer can; timed from the first send until every engagement is stored (consumed,
  capped, decayed, scored, lifecycle applied, committed with its inbox row) and the outbox is
  empty (every `lead.scored` it caused published to the broker).
- decay: N people are written as the decay pass would have left them up to `window` ago (last
  engagement up to 90 days back, emitted score and due time from the model), then one pass runs:
  only the people whose decayed score became news in the window are rescored and emitted.
  Also timed: the same pass when nothing is due (the cost of a quiet tick over N people).
Prints one line.

    python bench/scoring.py [--events 4000] [--leads 400] [--people 1000000] [--window 60]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import time
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
from aiokafka import AIOKafkaProducer

from services.scoring.app.decay import decay_pass
from services.scoring.bootstrap import DEFINITION, MIGRATIONS
from services.scoring.domain.decay import Decaying, next_due
from services.scoring.settings import ScoringSettings
from shared.app import create_app
from shared.db import libpq_url
from shared.events import EngagementRecorded, LeadCreated
from shared.migrate import migrate
from shared.runtime import Runtime
from tests.support.events import produce
from tests.support.infra import Broker, PostgresServer

KEY = "bench-key-0123456789abcdef"
KINDS = ["page_view"] * 6 + ["email_open"] * 4 + ["email_click"] * 2 + ["download", "form_submit", "meeting"]


async def count(conn: asyncpg.Connection, sql: str) -> int:
    return int(await conn.fetchval(sql))


async def until(conn: asyncpg.Connection, sql: str, target: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while await count(conn, sql) < target:
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {sql!r} to reach {target}")
        await asyncio.sleep(0.05)


async def engagement_bench(url: str, broker: Broker, leads: int, events: int) -> str:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    settings = ScoringSettings(
        database_url=url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=prefix,
        kafka_fetch_max_wait_ms=50,
        api_keys=[KEY],
        scoring_decay_interval_seconds=3600,
        log_level="WARNING",
    )
    app = create_app(DEFINITION, settings)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        runtime: Runtime = app.state.runtime
        while not (runtime.broker_connected and runtime.consumer and runtime.consumer.assigned()):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", linger_ms=5)
        await producer.start()
        stack.push_async_callback(producer.stop)
        conn = await asyncpg.connect(libpq_url(url), server_settings={"search_path": "scoring"})
        stack.push_async_callback(conn.close)
        rng = random.Random(1)
        people = [
            LeadCreated(
                lead_id=str(uuid.uuid4()),
                source="bench",
                email=f"p{i}@c{i % 97}.example",
                email_domain=f"c{i % 97}.example",
                title=rng.choice(["VP Sales", "Engineer", "CTO", "Marketing Manager", "Student"]),
                employees=rng.choice([20, 250, 5000]),
                industry="Software",
                country="US",
            )
            for i in range(leads)
        ]
        await produce(producer, prefix, people)
        await until(conn, "SELECT count(*) FROM people", leads, 300)
        scored_before = await count(
            conn, "SELECT count(*) FROM outbox WHERE headers->>'ce_type' = 'lead.scored'"
        )
        now = datetime.now(UTC)
        engagements = [
            EngagementRecorded(
                engagement_id=str(uuid.uuid4()),
                lead_id=rng.choice(people).lead_id,
                email="x@bench.example",
                kind=(kind := rng.choice(KINDS)),  # type: ignore[arg-type]
                occurred_at=now - timedelta(minutes=rng.uniform(0, 600)),
                url=rng.choice(
                    ["https://acme.com/pricing", "https://acme.com/blog/a", "https://acme.com/demo"]
                )
                if kind == "page_view"
                else None,
            )
            for _ in range(events)
        ]
        started = time.perf_counter()
        await produce(producer, prefix, engagements)
        produced = time.perf_counter() - started
        await until(conn, "SELECT count(*) FROM engagements", events, 1800)
        await until(conn, "SELECT (count(*) = 0)::int FROM outbox WHERE published_at IS NULL", 1, 300)
        elapsed = time.perf_counter() - started
        emitted = (
            await count(conn, "SELECT count(*) FROM outbox WHERE headers->>'ce_type' = 'lead.scored'")
            - scored_before
        )
    return (
        f"engagement: {events} events for {leads} people consumed, scored, stored and emitted"
        f" in {elapsed:.1f} s"
        f" = {events / elapsed:.0f} events/s end to end (produced in {produced:.1f} s;"
        f" {emitted} lead.scored emitted, {emitted / events:.0%} of events)"
    )


def _people(
    count: int, now: datetime, window: timedelta, settings: ScoringSettings
) -> list[tuple[object, ...]]:
    """Rows as the decay pass would have left them up to `now - window`."""
    rng, model, half_life = random.Random(2), settings.scoring_model, settings.half_life
    thresholds, step, last_tick = model.thresholds.all(), model.thresholds.emit_step, now - window
    rows = []
    for i in range(count):
        fit = rng.choice([-10.0, 0.0, 15.0, 30.0, 45.0, 60.0])
        points = rng.expovariate(1 / 35) if rng.random() < 0.7 else 0.0
        behaviour = Decaying(points, now - timedelta(days=rng.uniform(0, 90)) if points else None)
        emitted = fit + behaviour.value
        due = next_due(
            base=fit,
            behaviour=behaviour,
            emitted_score=emitted,
            step=step,
            thresholds=thresholds,
            half_life=half_life,
        )
        while due is not None and due <= last_tick:  # the passes that already ran
            emitted = fit + behaviour.at(due, half_life)
            due = next_due(
                base=fit,
                behaviour=behaviour,
                emitted_score=emitted,
                step=step,
                thresholds=thresholds,
                half_life=half_life,
            )
        stage = "mql" if emitted >= model.thresholds.mql else ("prospect" if fit > 0 else "suspect")
        rows.append(
            (f"bench-{i}", f"p{i}@bench.example", fit, behaviour.value, emitted, behaviour.value,
             behaviour.ref_at, emitted, due, stage, model.version, behaviour.ref_at or last_tick)
        )  # fmt: skip
    return rows


async def decay_bench(url: str, people: int, window: timedelta) -> str:
    settings = ScoringSettings(database_url=url, log_level="WARNING")
    now = datetime.now(UTC)
    started = time.perf_counter()
    rows = _people(people, now, window, settings)
    conn = await asyncpg.connect(libpq_url(url), server_settings={"search_path": "scoring"})
    try:
        await conn.execute("TRUNCATE people, outbox")
        await conn.copy_records_to_table(
            "people",
            records=rows,
            columns=["person_id", "email", "fit", "behaviour", "score", "behaviour_ref", "behaviour_ref_at",
                     "emitted_score", "due_at", "lifecycle_stage", "model_version", "updated_at"],
        )  # fmt: skip
        await conn.execute("ANALYZE people")
        loaded = time.perf_counter() - started
        due = await conn.fetchval("SELECT count(*) FROM people WHERE due_at <= $1", now)
    finally:
        await conn.close()
    app = create_app(DEFINITION, settings, with_kafka=False)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        started = time.perf_counter()
        report = await decay_pass(runtime.uow, settings, now)
        busy = time.perf_counter() - started
        started = time.perf_counter()
        quiet = await decay_pass(runtime.uow, settings, now)
        idle = time.perf_counter() - started
    assert report.rescored == due and quiet.rescored == 0
    return (
        f"decay pass over {people:,} people ({loaded:.0f} s to generate and load):"
        f" {report.rescored:,} became news"
        f" in the last {window.total_seconds():g} s, rescored and emitted ({report.emitted:,} lead.scored) in"
        f" {busy:.2f} s ({report.rescored / busy:.0f} people/s); a tick with nothing due {idle * 1000:.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--leads", type=int, default=400)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds since the last decay pass")
    parser.add_argument("--skip-engagement", action="store_true")
    parser.add_argument("--skip-decay", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    postgres, broker = PostgresServer(), Broker().start()
    url = await postgres.new_database()
    try:
        await migrate(ScoringSettings(database_url=url), "scoring", MIGRATIONS)
        lines = []
        if not args.skip_engagement:
            lines.append(await engagement_bench(url, broker, args.leads, args.events))
        if not args.skip_decay:
            lines.append(await decay_bench(url, args.people, timedelta(seconds=args.window)))
        print("scoring: " + "; ".join(lines))
    finally:
        await postgres.drop(url)
        broker.stop()
        postgres.stop()


if __name__ == "__main__":
    asyncio.run(main())
