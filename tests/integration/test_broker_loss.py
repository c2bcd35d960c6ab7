"""The in-memory broker restarted empty mid-stream: the outbox replays, inboxes dedupe,
and every lead still ends converted exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import APIRouter
from prometheus_client import REGISTRY

from shared.events import LeadRejected
from shared.kafka.client import ensure_topics
from shared.kafka.losses import Landmark, Loss, LossDetector
from shared.runtime import Runtime, ServiceDefinition
from shared.settings import Settings
from shared.sql_uow import SqlUnitOfWork
from shared.uow import OutboxRecord
from tests.conftest import make_settings
from tests.support.db import exactly_once, fetch, scalar, settled_report
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually

LEADS = 60
DOMAINS = 10


def replays() -> float:
    return sum(
        s.value
        for m in REGISTRY.collect()
        if m.name == "cascade_outbox_replays"
        for s in m.samples
        if s.name.endswith("_total")
    )


async def test_every_lead_is_converted_once_after_the_broker_restarts_empty(
    fresh_database_url: str, own_broker: Broker
) -> None:
    replays_before = replays()
    async with InProcessStack(make_settings(fresh_database_url, own_broker.bootstrap)) as stack:
        await stack.wait_connected()
        ingest = stack.client("ingest")

        async def post(numbers: range) -> None:
            for n in numbers:
                response = await ingest.post(
                    "/v1/leads", json={"email": f"p{n}@company{n % DOMAINS}.example"}
                )
                assert response.status_code == 202

        await post(range(LEADS // 2))
        await eventually(lambda: scalar(fresh_database_url, "SELECT count(*) > 0 FROM matcher.matches"))
        own_broker.restart()
        await post(range(LEADS // 2, LEADS))

        report = await settled_report(fresh_database_url, LEADS, timeout=600)  # minutes: CI shares two cores
    assert report == exactly_once(LEADS, DOMAINS)
    assert replays() > replays_before, "the relays re-published what the broker lost"


@pytest.fixture
async def relay(fresh_database_url: str, own_broker: Broker) -> AsyncIterator[Runtime]:
    """A service of one outbox and no consumer, on a broker of its own."""
    definition = ServiceDefinition(
        name="ingest",
        description="relay probe",
        router=APIRouter(),
        produces=(LeadRejected,),
        settings=Settings,
        uow=SqlUnitOfWork,
    )
    runtime = Runtime(definition, Settings(**make_settings(fresh_database_url, own_broker.bootstrap)))
    await runtime.start()
    await eventually(lambda: _connected(runtime))
    yield runtime
    await runtime.stop()


async def _connected(runtime: Runtime) -> bool:
    return runtime.broker_connected


async def emit(runtime: Runtime, key: str, *reasons: str) -> list[str]:
    """One LeadRejected per reason, under `key`; their event ids."""
    async with runtime.uow() as uow:
        ids = [uow.emit(LeadRejected(lead_id=key, reason=r, rejected_by="test")).id for r in reasons]
        await uow.commit()
    return ids


async def unpublished(url: str) -> int:
    return int(await scalar(url, "SELECT count(*) FROM ingest.outbox WHERE published_at IS NULL"))


async def on_broker(runtime: Runtime, expected: int) -> list[tuple[str, str]]:
    """(key, ce_id) of the records on the topic, in each partition's order, once `expected` are there."""
    topic = runtime.settings.topic(LeadRejected.TYPE)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=runtime.settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        metadata_max_age_ms=500,  # the topic may be created again after this subscribes
    )
    await consumer.start()
    records: list[tuple[str, str]] = []
    try:
        async with asyncio.timeout(300):  # generous: CI shares two cores
            while len(records) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                records += [
                    (r.key.decode(), dict(r.headers)["ce_id"].decode())
                    for rs in batch.values()
                    for r in rs
                    if r.key
                ]
    finally:
        await consumer.stop()
    return records


async def test_nothing_is_queued_again_while_the_broker_holds_everything(
    relay: Runtime, fresh_database_url: str
) -> None:
    for n in range(5):  # batches of many rows: Tansu's end offset lies below a batch's records
        await emit(relay, f"k{n}", *(f"r{i}" for i in range(40)))
    await eventually(lambda: _none_pending(fresh_database_url))
    assert relay.relay is not None
    for _ in range(3):
        assert await relay.relay.replay_lost() == 0


async def _none_pending(url: str) -> bool:
    return await unpublished(url) == 0


async def test_a_lost_tail_is_noticed_and_published_again(relay: Runtime, fresh_database_url: str) -> None:
    await emit(relay, "tail", "a", "b", "c")
    await eventually(lambda: _none_pending(fresh_database_url))
    before = replays()
    # As if the broker had acknowledged the newest row at an offset it then lost.
    await scalar(
        fresh_database_url,
        'UPDATE ingest.outbox SET "offset" = "offset" + 1000 WHERE seq = (SELECT max(seq) FROM ingest.outbox)'
        " RETURNING seq",
    )
    assert relay.relay is not None
    relayed = relay.relay

    async def replayed() -> bool:  # by this check, or by the relay's own when it holds the lock
        await relayed.replay_lost()
        return replays() > before

    await eventually(replayed)
    await eventually(lambda: _none_pending(fresh_database_url))


async def test_a_keys_lost_events_go_out_again_before_anything_newer_of_that_key(
    relay: Runtime, fresh_database_url: str, own_broker: Broker
) -> None:
    first = await emit(relay, "ordered", "v1", "v2")
    await eventually(lambda: _none_pending(fresh_database_url))
    own_broker.restart()
    [third] = await emit(relay, "ordered", "v3")
    records = await on_broker(relay, 3)
    seen = list(dict.fromkeys(ce_id for key, ce_id in records if key == "ordered"))
    assert seen == [*first, third]


async def test_a_row_the_broker_refuses_is_dead_lettered_and_the_outbox_moves_on(
    relay: Runtime, fresh_database_url: str
) -> None:
    async with relay.uow() as uow:
        uow.add_raw(
            OutboxRecord(
                event_id="huge",
                topic=relay.settings.topic("lead.rejected"),
                key="big",
                headers={"ce_id": "huge", "ce_type": "lead.rejected"},
                value=b"x" * 2_000_000,
            )
        )
        await uow.commit()
    [after] = await emit(relay, "small", "fine")
    records = await on_broker(relay, 1)
    assert ("small", after) in records
    letters = await fetch(fresh_database_url, "SELECT consumer, event_id, error FROM ingest.dead_letters")
    assert [(r["consumer"], r["event_id"]) for r in letters] == [("outbox-relay", "huge")]
    assert "MessageSizeTooLarge" in letters[0]["error"]
    assert await unpublished(fresh_database_url) == 0

    # Two retries at once (two clicks, two replicas): one puts the row back in the outbox.
    [letter] = await relay.letters.all()
    tries = await asyncio.gather(*(relay.letters.retry([letter.id]) for _ in range(2)))
    said = sorted(outcome for found in tries for outcome in found.values())
    assert said in (["requeued"], ["duplicate", "requeued"]), said

    async def letters_again() -> list[object]:  # still too large: dead-lettered again, once
        found = await fetch(fresh_database_url, "SELECT id FROM ingest.dead_letters WHERE event_id = 'huge'")
        return [r["id"] for r in found if r["id"] != letter.id]

    assert len(await eventually(letters_again)) == 1


async def test_a_broker_that_forgot_everything_is_noticed_even_where_offsets_collide(
    fresh_database_url: str, own_broker: Broker
) -> None:
    """The broker restarts while a batch is on its way; the producer sends it again to the new
    broker, and its rows record new offsets that collide with the old rows' at the landmarks."""
    settings = Settings(**make_settings(fresh_database_url, own_broker.bootstrap))
    topic = settings.topic("lead.rejected")
    producer = AIOKafkaProducer(bootstrap_servers=own_broker.bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=own_broker.bootstrap, enable_auto_commit=False)
    marks: list[Landmark] = []

    async def landmarks(_: set[str]) -> list[Landmark]:
        return marks

    async def retained() -> set[str]:
        return {topic}

    async def create_marker_topic(name: str) -> None:
        await ensure_topics(settings, name, partitions=1, compacted=True)

    async def publish(event_id: str) -> Landmark:
        sent = await producer.send_and_wait(topic, b"v", key=b"k", headers=[("ce_id", event_id.encode())])
        return Landmark(topic, sent.partition, sent.offset, event_id)

    await ensure_topics(settings, [topic])
    await producer.start()
    await probe.start()
    try:
        detector = LossDetector(
            probe,
            landmarks,
            producer=producer,
            marker=settings.topic("marker"),
            retained=retained,
            create_marker_topic=create_marker_topic,
        )
        marks.append(await publish("old"))
        assert await detector.lost({topic}) == []
        own_broker.restart()
        await ensure_topics(settings, [topic])
        marks[:] = [await publish("sent-again")]  # both rows' landmarks now read the new record
        assert marks[0].offset == 0
        assert await detector.lost({topic}) == [Loss(topic, None)]
        await detector.settle()
        assert await detector.lost({topic}) == []
    finally:
        await probe.stop()
        await producer.stop()
