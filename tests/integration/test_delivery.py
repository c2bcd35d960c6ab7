"""The delivery guarantees of the platform, on a real broker and a real database:
redelivery has one effect, a poison event is dead-lettered and the partition moves on,
a stalled consumer shows in its metrics and in /readyz."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import APIRouter
from prometheus_client import REGISTRY, generate_latest
from sqlalchemy import func, select

from shared.events import Envelope, LeadCreated, LeadRejected, encode_headers
from shared.runtime import Runtime, ServiceDefinition
from shared.settings import Settings
from shared.sql_uow import SqlUnitOfWork
from shared.tables import DeadLetterRow, InboxRow, OutboxRow
from shared.uow import UnitOfWork
from tests.conftest import make_settings
from tests.support.infra import Broker
from tests.support.stack import eventually

ProbeHandler = Callable[[LeadCreated, Envelope, UnitOfWork, Settings], Awaitable[None]]


async def record_effect(event: LeadCreated, envelope: Envelope, uow: UnitOfWork, settings: Settings) -> None:
    """A handler whose effect is not idempotent by itself: one outbox row per call."""
    uow.emit(LeadRejected(lead_id=event.lead_id, reason="probe", rejected_by=envelope.id))


@pytest.fixture
async def probe(database_url: str, broker: Broker, request: pytest.FixtureRequest) -> AsyncIterator[Runtime]:
    handler: ProbeHandler = getattr(request, "param", record_effect)
    definition = ServiceDefinition(
        name="ingest",
        description="probe",
        router=APIRouter(),
        produces=(LeadRejected,),
        handlers={LeadCreated: handler},
        settings=Settings,
        uow=SqlUnitOfWork,
    )
    settings = Settings(
        **make_settings(database_url, broker.bootstrap, consumer_max_attempts=3, consumer_stall_seconds=1.0)
    )
    runtime = Runtime(definition, settings)
    await runtime.start()
    await eventually(lambda: _assigned(runtime))
    yield runtime
    await runtime.stop()


async def _assigned(runtime: Runtime) -> bool:
    return runtime.consumer is not None and runtime.consumer.assigned()


def lead_created(lead_id: str, event_id: str | None = None) -> Envelope:
    event = LeadCreated(lead_id=lead_id, source="test", email=f"{lead_id}@acme.com", email_domain="acme.com")
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        source="test",
        type=event.TYPE,
        subject=lead_id,
        time=datetime.now(UTC),
        data=event.model_dump(mode="json"),
    )


async def publish(
    runtime: Runtime, key: str, *records: Envelope | bytes, partition: int | None = None, headers: Any = None
) -> None:
    """Send records with one key (one partition, in order); bytes are sent as a broken record
    (with `headers`, if given)."""
    producer = AIOKafkaProducer(bootstrap_servers=runtime.settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        topic = runtime.settings.topic(LeadCreated.TYPE)
        for record in records:
            if isinstance(record, bytes):
                await producer.send_and_wait(
                    topic, record, key=key.encode(), partition=partition, headers=headers
                )
            else:
                await producer.send_and_wait(
                    topic,
                    json.dumps(record.data).encode(),
                    key=key.encode(),
                    headers=encode_headers(record),
                    partition=partition,
                )
    finally:
        await producer.stop()


async def effects(runtime: Runtime, lead_id: str) -> int:
    async with runtime.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(OutboxRow)
            .where(OutboxRow.key == lead_id, OutboxRow.topic == runtime.settings.topic(LeadRejected.TYPE))
        )
        return int(count or 0)


async def test_the_same_event_delivered_twice_has_one_effect(probe: Runtime) -> None:
    lead_id, sentinel = f"dup-{uuid.uuid4().hex}", f"sentinel-{uuid.uuid4().hex}"
    event = lead_created(lead_id)
    await publish(probe, "k", event, event, lead_created(sentinel))
    await eventually(lambda: effects(probe, sentinel))
    assert await effects(probe, lead_id) == 1
    async with probe.sessions() as session:
        claimed = await session.scalar(
            select(func.count()).select_from(InboxRow).where(InboxRow.event_id == event.id)
        )
    assert claimed == 1


async def fail_on_poison(event: LeadCreated, envelope: Envelope, uow: UnitOfWork, settings: Settings) -> None:
    if event.lead_id.startswith("poison"):
        raise RuntimeError(f"cannot digest {event.lead_id}")
    await record_effect(event, envelope, uow, settings)


async def dead_letters(runtime: Runtime) -> list[DeadLetterRow]:
    async with runtime.sessions() as session:
        topic = runtime.settings.topic(LeadCreated.TYPE)
        return list(await session.scalars(select(DeadLetterRow).where(DeadLetterRow.topic == topic)))


async def read_dlq(runtime: Runtime, expected: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        runtime.settings.topic("lead.created.dlq"),
        bootstrap_servers=runtime.settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(30):
            while len(records) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                records += [r for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()
    return records


@pytest.mark.parametrize("probe", [fail_on_poison], indirect=True)
async def test_a_failing_event_is_dead_lettered_and_the_partition_moves_on(probe: Runtime) -> None:
    poison, after = f"poison-{uuid.uuid4().hex}", f"after-{uuid.uuid4().hex}"
    await publish(probe, "same-key", lead_created(poison), b"\x00not a cloudevent", lead_created(after))
    await eventually(lambda: effects(probe, after))
    rows = await eventually(lambda: dead_letters(probe))
    assert len(rows) == 2
    failed = next(r for r in rows if r.key == "same-key" and r.event_type == "lead.created")
    assert failed.attempts == 3 and f"cannot digest {poison}" in failed.error
    broken = next(r for r in rows if r.event_type is None)
    assert broken.attempts == 1 and "MalformedEvent" in broken.error
    records = await read_dlq(probe, 2)
    errors = sorted(dict(r.headers)["x-error"].decode() for r in records)
    assert any(f"cannot digest {poison}" in e for e in errors) and any("MalformedEvent" in e for e in errors)
    assert all(
        dict(r.headers)["x-original-topic"].decode() == probe.settings.topic("lead.created") for r in records
    )


release = asyncio.Event()


async def block_on_slow(event: LeadCreated, envelope: Envelope, uow: UnitOfWork, settings: Settings) -> None:
    if event.lead_id.startswith("slow"):
        await release.wait()
    await record_effect(event, envelope, uow, settings)


def lag_metric(group: str) -> float:
    total = 0.0
    for metric in REGISTRY.collect():
        if metric.name == "cascade_consumer_lag":
            total += sum(s.value for s in metric.samples if s.labels.get("group") == group)
    return total


@pytest.mark.parametrize("probe", [block_on_slow], indirect=True)
async def test_a_stalled_consumer_shows_lag_and_fails_readiness(probe: Runtime) -> None:
    release.clear()
    await publish(
        probe, "stuck", lead_created(f"slow-{uuid.uuid4().hex}"), lead_created("x1"), lead_created("x2")
    )
    assert probe.consumer is not None

    async def stalled() -> dict[str, Any] | None:
        check = (await probe.readiness())["consumer"]
        return check if not check["ok"] else None

    check = await eventually(stalled)
    assert check["lag"] >= 3 and "no offset has been committed" in check["error"]
    assert len(check["stalled"]) == 1, "one partition is stuck, the others are not"
    assert lag_metric(probe.consumer.group) >= 3
    assert b"cascade_consumer_seconds_since_commit_seconds" in generate_latest(REGISTRY)
    release.set()

    async def recovered() -> bool:
        return bool((await probe.readiness())["consumer"]["ok"]) and lag_metric(probe.consumer.group) == 0  # type: ignore[union-attr]

    await eventually(recovered)


def broken_headers(**changed: str) -> list[tuple[str, bytes]]:
    headers = dict(encode_headers(lead_created(f"broken-{uuid.uuid4().hex}")))
    headers.update({k: v.encode() for k, v in changed.items()})
    return list(headers.items())


async def test_undecodable_records_are_dead_lettered_at_once_and_the_partition_moves_on(
    probe: Runtime,
) -> None:
    after = f"after-{uuid.uuid4().hex}"
    valid = json.dumps(lead_created("x").data).encode()
    broken = [
        (valid, broken_headers(ce_time="not a time")),  # ValueError from datetime
        (b"[" * 100_000 + b"]" * 100_000, broken_headers()),  # RecursionError from json
        (valid, broken_headers(ce_aggregateversion="9" * 5000)),  # ValueError from int
    ]
    for value, headers in broken:
        await publish(probe, "broken", value, partition=0, headers=headers)
    await publish(probe, "broken", lead_created(after), partition=0)
    await eventually(lambda: effects(probe, after))
    rows = [r for r in await dead_letters(probe) if r.key == "broken"]
    assert len(rows) == 3 and all(r.attempts == 1 and "MalformedEvent" in r.error for r in rows)


@pytest.mark.parametrize("probe", [block_on_slow], indirect=True)
async def test_a_partition_stuck_in_its_handler_holds_up_no_other(probe: Runtime) -> None:
    release.clear()
    await publish(probe, "k", lead_created(f"slow-{uuid.uuid4().hex}"), partition=0)
    try:
        for _ in range(3):  # one after another: each is fetched after the one before is done
            other = f"other-{uuid.uuid4().hex}"
            await publish(probe, "k", lead_created(other), partition=1)
            assert await eventually(lambda other=other: effects(probe, other)) == 1
    finally:
        release.set()
