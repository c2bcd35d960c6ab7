"""The in-memory broker restarted empty mid-stream: the outbox replays, inboxes dedupe,
and every lead still ends converted exactly once."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.conftest import make_settings
from tests.support.db import exactly_once, scalar, settled_report
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

        report = await settled_report(fresh_database_url, LEADS, timeout=120)
    assert report == exactly_once(LEADS, DOMAINS)
    assert replays() > replays_before, "the relays re-published what the broker lost"
