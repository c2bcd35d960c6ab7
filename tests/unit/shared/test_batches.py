"""A partition's records as one batch: one commit when all succeed; a failing record splits the
batch until it is alone, then takes its retries and its dead letter, and the others still apply
once, in order."""

from __future__ import annotations

import json

from aiokafka import ConsumerRecord

from shared.events import Envelope, LeadCreated, encode_headers
from shared.kafka.records import RecordProcessor
from shared.settings import Settings
from shared.uow import OutboxRecord
from tests.support.fakes import FakeUnitOfWork, envelope

TOPIC = "p.lead.created"


class Store:
    """What committed transactions left behind."""

    def __init__(self) -> None:
        self.inbox: set[tuple[str, str]] = set()
        self.applied: list[str] = []
        self.commits = 0
        self.dead: list[str] = []


class Transaction(FakeUnitOfWork):
    """Claims and effects become visible only when the transaction commits."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store, self.claims, self.effects = store, set[tuple[str, str]](), list[str]()

    async def claim(self, consumer: str, event_id: str) -> bool:
        key = (consumer, event_id)
        fresh = key not in self.store.inbox and key not in self.claims
        self.claims.add(key)
        return fresh

    async def _commit(self, records: list[OutboxRecord]) -> None:
        self.store.inbox |= self.claims
        self.store.applied += self.effects
        self.store.dead += [letter.event_id for letter in self.dead_letters]
        self.store.commits += 1


async def on_lead_created(
    event: LeadCreated, envelope: Envelope, uow: Transaction, settings: Settings
) -> None:
    if event.email.startswith("bad"):
        raise ValueError("this one never works")
    uow.effects.append(event.email)


def record(offset: int, email: str, version: int | None = None) -> ConsumerRecord[bytes, bytes]:
    """A record at `offset` of the event `email`'s lead at `version` (the event id says both)."""
    event = LeadCreated(lead_id=email, email=email, email_domain="x.io", source="api")
    sent = envelope(event, offset if version is None else version)
    value = json.dumps(sent.data).encode()
    return ConsumerRecord(
        TOPIC, 0, offset, 0, 0, email.encode(), value, None, 0, len(value), encode_headers(sent)
    )


def processor(store: Store) -> RecordProcessor:
    settings = Settings(kafka_topic_prefix="p.", consumer_backoff_seconds=0.001, consumer_max_attempts=2)
    return RecordProcessor(
        group="g", handlers={LeadCreated: on_lead_created}, uow=lambda: Transaction(store), settings=settings
    )


async def test_a_batch_that_succeeds_is_one_commit_and_a_repeat_applies_nothing() -> None:
    store = Store()
    records = [record(n, f"p{n}@x.io") for n in range(20)]
    await processor(store).process_batch(records)
    assert store.applied == [f"p{n}@x.io" for n in range(20)] and store.commits == 1
    await processor(store).process_batch([*records, record(20, "p19@x.io", version=19)])
    assert len(store.applied) == 20


async def test_a_failing_record_is_isolated_and_dead_lettered_and_the_rest_apply_in_order() -> None:
    store = Store()
    emails = [f"p{n}@x.io" for n in range(7)] + ["bad@x.io"] + [f"q{n}@x.io" for n in range(8)]
    records = [record(n, email) for n, email in enumerate(emails)]
    await processor(store).process_batch(records)
    assert store.applied == [email for email in emails if email != "bad@x.io"]
    assert store.dead == [records[7].headers[1][1].decode()]  # its event id
    assert store.commits < len(records)  # the healthy halves stayed batched
