"""Attribution benchmark: touches/s ingested and attributed end to end, and the influence report's
latency over 100,000 opps and 5,000,000 touches.

- touches: the attribution service runs in this process against a real PostgreSQL and a real
  broker (Tansu). A accounts of P people each, one opp per account with M confirmed members, are
  sent as events; then T `engagement.recorded` events (over C campaigns, a member's or another
  person's) are produced as fast as the producer can; timed from the first send until every touch
  is stored with the refreshed attribution of its opps.
- report: N opps on N accounts of P people, each person with K touches over C campaigns (N x P x
  K touches), M confirmed members per opp, amounts, closes and membership history, are written with
  COPY; `cascade attribution rebuild` attributes every opp (timed); then `GET
  /v1/reports/influence` by campaign (W-shaped) is timed, median of 5, plus the same filtered
  by opp type, grouped by channel, and one opp's touches.
Prints one line.

    python bench/attribution.py [--opps 100000] [--people 10] [--touches-per-person 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from services.attribution.app.attribute import rebuild
from services.attribution.bootstrap import DEFINITION, MIGRATIONS
from services.attribution.settings import AttributionSettings
from shared.app import create_app
from shared.db import libpq_url
from shared.events import (
    EngagementRecorded,
    Event,
    LeadConverted,
    LeadCreated,
    OppContactRoleChanged,
    OppCreated,
)
from shared.migrate import migrate
from shared.runtime import Runtime
from tests.support.events import produce
from tests.support.infra import Broker, PostgresServer

KEY = "bench-key-0123456789abcdef"
NOW = datetime.now(UTC)
CHANNELS = ["email", "webinar", "event", "paid", "content", "web"]
TYPES = ["acquisition"] * 6 + ["renewal"] * 2 + ["upsell", "cross_sell"]
KINDS = ["email_click", "form_submit", "webinar_attended", "page_view", "download"]


async def until(conn: asyncpg.Connection, sql: str, target: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while int(await conn.fetchval(sql)) < target:
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {sql!r} to reach {target}")
        await asyncio.sleep(0.05)


def accounts_as_events(
    accounts: int, people: int, members: int
) -> tuple[list[Event], list[str], list[Event]]:
    """Each account's people (created, converted) and its opp with its confirmed members."""
    setup: list[Event] = []
    leads: list[str] = []
    groups: list[Event] = []
    for a in range(accounts):
        account = f"bench-acct-{a}"
        for p in range(people):
            lead_id, contact = str(uuid.uuid4()), f"bench-c{a}-{p}"
            email = f"p{p}@a{a}.example"
            setup.append(
                LeadCreated(lead_id=lead_id, source="bench", email=email, email_domain=f"a{a}.example")
            )
            setup.append(
                LeadConverted(lead_id=lead_id, contact_id=contact, account_id=account, account_created=False,
                              method="domain", confidence=1.0, explanation="bench", email=email)
            )  # fmt: skip
            leads.append(lead_id)
        opp_id = f"bench-opp-{a}"
        groups.append(
            OppCreated(opp_id=opp_id, account_id=account, type="acquisition", stage="target", amount=50000.0,
                       created_by="bench")
        )  # fmt: skip
        groups += [
            OppContactRoleChanged(opp_id=opp_id, account_id=account, contact_id=f"bench-c{a}-{p}",
                                  role="champion", change="added", status="confirmed")
            for p in range(members)
        ]  # fmt: skip
    return setup, leads, groups


async def touches_bench(
    url: str, broker: Broker, accounts: int, people: int, touches: int, campaigns: int
) -> str:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    settings = AttributionSettings(
        database_url=url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=prefix,
        kafka_fetch_max_wait_ms=50,
        api_keys=[KEY],
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
        conn = await asyncpg.connect(libpq_url(url), server_settings={"search_path": "attribution"})
        stack.push_async_callback(conn.close)
        setup, leads, groups = accounts_as_events(accounts, people, 3)
        await produce(producer, prefix, setup)
        await until(conn, "SELECT count(*) FROM people WHERE contact_id IS NOT NULL", len(leads), 600)
        await produce(producer, prefix, groups)
        await until(conn, "SELECT count(*) FROM memberships", accounts * 3, 600)
        rng = random.Random(1)
        engagements: list[Event] = [
            EngagementRecorded(
                engagement_id=str(uuid.uuid4()),
                lead_id=rng.choice(leads),
                email="x@bench.example",
                kind=rng.choice(KINDS),  # type: ignore[arg-type]
                occurred_at=NOW - timedelta(days=rng.uniform(0, 60)),
                campaign=f"Bench campaign {rng.randrange(campaigns)}",
                source="bench",
            )
            for _ in range(touches)
        ]
        started = time.perf_counter()
        await produce(producer, prefix, engagements)
        await until(conn, "SELECT count(*) FROM touches", touches, 1800)
        elapsed = time.perf_counter() - started
        rows = int(await conn.fetchval("SELECT count(*) FROM credits"))
    return (
        f"touches: {touches} engagement.recorded ({accounts} accounts x {people} people, 3 confirmed per opp)"
        f" consumed, stored and attributed in {elapsed:.1f} s = {touches / elapsed:.0f} touches/s end to end"
        f" ({rows} attribution rows)"
    )


def _opp_rows(
    first: int, last: int, people: int, per_person: int, campaigns: int
) -> Iterator[dict[str, list[tuple[object, ...]]]]:
    """The rows of opps `first`..`last`, one chunk per 5,000 opps, as the events would have left them."""
    rng = random.Random(first)
    for start in range(first, last, 5000):
        rows: dict[str, list[tuple[object, ...]]] = {
            k: [] for k in ("opps", "opp_amounts", "opp_stages", "people", "memberships", "touches")
        }
        for i in range(start, min(start + 5000, last)):
            opp_id, account = f"o{i}", f"a{i}"
            created = NOW - timedelta(days=rng.uniform(0, 180))
            rows["opps"].append((opp_id, account, rng.choice(TYPES), created))
            rows["opp_amounts"].append((opp_id, created, rng.randrange(100_000, 10_000_000)))
            rows["opp_stages"].append((opp_id, created, "target"))
            outcome, closed = rng.random(), created + timedelta(days=rng.uniform(10, 60))
            if outcome < 0.5 and closed < NOW:
                rows["opp_stages"].append((opp_id, closed, "closed_won" if outcome < 0.3 else "closed_lost"))
            for p in range(people):
                lead, contact = f"l{i}-{p}", f"c{i}-{p}"
                lead_created = created - timedelta(days=rng.uniform(0, 120))
                rows["people"].append((lead, contact, account, lead_created, None))
                for k in range(per_person):
                    at = created - timedelta(days=rng.uniform(-60, 120))
                    rows["touches"].append(
                        (f"t{i}-{p}-{k}", lead, f"k{rng.randrange(campaigns)}", rng.choice(KINDS), at)
                    )
            for p in range(3):
                rows["memberships"].append((opp_id, f"c{i}-{p}", "confirmed", "champion", created, None))
            if i % 5 == 0:  # a member removed a week after creation: history the current report ignores
                rows["memberships"].append(
                    (opp_id, f"c{i}-3", "confirmed", "influencer", created, created + timedelta(days=7))
                )
        yield rows


COLUMNS = {
    "opps": ["opp_id", "account_id", "type", "created_at"],
    "opp_amounts": ["opp_id", "at", "amount_cents"],
    "opp_stages": ["opp_id", "at", "stage"],
    "people": ["lead_id", "contact_id", "account_id", "lead_created_at", "original_campaign_id"],
    "memberships": ["opp_id", "contact_id", "status", "role", "valid_from", "valid_to"],
    "touches": ["touch_id", "lead_id", "campaign_id", "kind", "occurred_at"],
}


async def load(url: str, opps: int, people: int, per_person: int, campaigns: int) -> int:
    conn = await asyncpg.connect(libpq_url(url), server_settings={"search_path": "attribution"})
    try:
        rng = random.Random(3)
        await conn.copy_records_to_table(
            "campaigns",
            records=[
                (f"k{c}", f"Campaign {c}", f"campaign {c}", rng.choice(CHANNELS), f"Program {c % 20}",
                 float(rng.randrange(1000, 100000)), "bench", 1, NOW, NOW)
                for c in range(campaigns)
            ],
            columns=["campaign_id", "name", "name_key", "channel", "program", "cost", "created_by", "version",
                     "created_at", "updated_at"],
        )  # fmt: skip
        touches = 0
        for chunk in _opp_rows(0, opps, people, per_person, campaigns):
            for table, records in chunk.items():
                await conn.copy_records_to_table(table, records=records, columns=COLUMNS[table])
            touches += len(chunk["touches"])
        await conn.execute("ANALYZE")
        return touches
    finally:
        await conn.close()


async def timed(
    client: httpx.AsyncClient, path: str, params: dict[str, str], runs: int = 5
) -> tuple[float, dict[str, object]]:
    times, body = [], {}
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(path, params=params)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        body = response.json()
    return statistics.median(times), body


async def report_bench(url: str, opps: int, people: int, per_person: int, campaigns: int) -> str:
    started = time.perf_counter()
    touches = await load(url, opps, people, per_person, campaigns)
    loaded = time.perf_counter() - started
    settings = AttributionSettings(database_url=url, api_keys=[KEY], log_level="WARNING")
    app = create_app(DEFINITION, settings, with_kafka=False)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        started = time.perf_counter()
        attributed = await rebuild(runtime.uow, settings)
        rebuilt = time.perf_counter() - started
        conn = await asyncpg.connect(libpq_url(url), server_settings={"search_path": "attribution"})
        await conn.execute("ANALYZE credits")
        rows = int(await conn.fetchval("SELECT count(*) FROM credits"))
        await conn.close()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://a", headers={"Authorization": f"Bearer {KEY}"}
        ) as client:
            path = "/v1/reports/influence"
            campaign_s, body = await timed(client, path, {"model": "w_shaped"})
            typed_s, _ = await timed(
                client,
                path,
                {
                    "model": "linear",
                    "type": "acquisition",
                    "from": (NOW - timedelta(days=90)).date().isoformat(),
                },
            )
            channel_s, _ = await timed(client, path, {"model": "time_decay", "group_by": "channel"})
            opp_s, _ = await timed(client, "/v1/opportunities/o7/touches", {})
    found: list[dict[str, object]] = body["rows"]  # type: ignore[assignment]
    return (
        f"report: {opps:,} opps, {touches:,} touches ({loaded:.0f} s to generate and COPY);"
        f" rebuild of {attributed:,} opps in {rebuilt:.0f} s ({attributed / rebuilt:.0f} opps/s,"
        f" {rows:,} attribution rows); GET /v1/reports/influence by campaign (w_shaped, {len(found):,} rows)"
        f" median {campaign_s * 1000:.0f} ms (target < 1000 ms), acquisition last 90 days (linear)"
        f" {typed_s * 1000:.0f} ms, by channel (time_decay) {channel_s * 1000:.0f} ms;"
        f" one opp's touches {opp_s * 1000:.0f} ms; top campaign {found[0]['name']}:"
        f" {found[0]['opps_influenced']} opps influenced"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opps", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--touches-per-person", type=int, default=5)
    parser.add_argument("--campaigns", type=int, default=500)
    parser.add_argument("--accounts", type=int, default=100, help="accounts of the touches/s run")
    parser.add_argument("--touches", type=int, default=3000, help="engagements of the touches/s run")
    parser.add_argument("--skip-touches", action="store_true")
    parser.add_argument("--skip-report", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    postgres, broker = PostgresServer(), Broker().start()
    lines = []
    try:
        for name, wanted in (("touches", not args.skip_touches), ("report", not args.skip_report)):
            if not wanted:
                continue
            url = await postgres.new_database()
            try:
                await migrate(AttributionSettings(database_url=url), "attribution", MIGRATIONS)
                if name == "touches":
                    lines.append(
                        await touches_bench(url, broker, args.accounts, args.people, args.touches, 50)
                    )
                else:
                    lines.append(
                        await report_bench(
                            url, args.opps, args.people, args.touches_per_person, args.campaigns
                        )
                    )
            finally:
                await postgres.drop(url)
        print("attribution: " + "; ".join(lines))
    finally:
        broker.stop()
        postgres.stop()


if __name__ == "__main__":
    asyncio.run(main())
