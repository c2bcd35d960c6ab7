"""The bulk lane: its topic, and a bulk runner that waits for the live one to be idle."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka import TopicPartition

from shared.events import Envelope, LeadCreated
from shared.kafka import consumer
from shared.kafka.consumer import ConsumerRunner
from shared.messaging import lane_topic
from shared.settings import Settings
from tests.support.fakes import FakeUnitOfWork


async def on_lead_created(
    event: LeadCreated, envelope: Envelope, uow: FakeUnitOfWork, settings: Settings
) -> None:
    """Nothing: the runners here are never fed records."""


def runner(lane: str = "live", defer_to: ConsumerRunner | None = None) -> ConsumerRunner:
    return ConsumerRunner(
        group=f"g-{lane}",
        handlers={LeadCreated: on_lead_created},
        uow=FakeUnitOfWork,
        settings=Settings(kafka_topic_prefix="p."),
        lane=lane,  # type: ignore[arg-type]
        defer_to=defer_to,
    )


def test_a_bulk_lane_has_its_own_topic() -> None:
    assert lane_topic("p.lead.created", "live") == "p.lead.created"
    assert lane_topic("p.lead.created", "bulk") == "p.lead.created.bulk"
    assert runner("bulk").topics == ["p.lead.created.bulk"] and runner().topics == ["p.lead.created"]


async def test_the_bulk_runner_fetches_only_once_the_live_runner_is_quiet() -> None:
    live = runner()
    bulk = runner("bulk", defer_to=live)
    partition = TopicPartition("p.lead.created", 0)
    working = asyncio.create_task(asyncio.sleep(0.3))  # a live partition's records being handled
    live._work[partition] = working
    working.add_done_callback(lambda _: live._work.clear())
    started = time.monotonic()
    await bulk._after_live_work()
    assert time.monotonic() - started >= 0.3 and not live.busy()
    live._last_fetch = time.monotonic()  # and a fetch a moment ago: more is on its way
    await bulk._after_live_work()
    assert time.monotonic() - started >= 0.3 + consumer.LIVE_QUIET_SECONDS * 0.9


async def test_endless_live_traffic_delays_a_backfill_but_never_stops_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(consumer, "MAX_DEFERRAL_SECONDS", 0.2)
    live = runner()
    live._last_fetch = time.monotonic() + 60
    await asyncio.wait_for(runner("bulk", defer_to=live)._after_live_work(), timeout=5)
    await asyncio.wait_for(runner()._after_live_work(), timeout=1)  # the live runner defers to nobody
