"""Outbound as its own process, fed by the pipeline: a lead posted to ingest is converted by the
matcher, and a subscriber receives its `lead.converted`, signed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from standardwebhooks import Webhook

from tests.conftest import make_settings
from tests.support.infra import Broker
from tests.support.processes import ServiceProcesses
from tests.support.receiver import serve_receiver
from tests.support.stack import eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(fresh_database_url: str, broker: Broker) -> Iterator[ServiceProcesses]:
    settings = make_settings(
        fresh_database_url,
        broker.bootstrap,
        outbound_allow_loopback_targets=True,
        outbound_delivery_poll_seconds=0.1,
    )
    processes = ServiceProcesses(settings, ("ingest", "matcher", "outbound"))
    try:
        yield processes.start_all()
    finally:
        processes.stop()


async def test_a_posted_lead_reaches_a_subscriber_as_a_signed_lead_converted(stack: ServiceProcesses) -> None:
    async with stack.client("outbound") as outbound, stack.client("ingest") as ingest:
        await eventually(lambda: _ready(stack), timeout=60)
        with serve_receiver() as receiver:
            created = await outbound.post(
                "/v1/subscriptions", json={"url": receiver.url, "events": ["lead.converted"]}
            )
            assert created.status_code == 201, created.text
            email = f"ada-{uuid.uuid4().hex[:6]}@lovelace.example"
            posted = await ingest.post("/v1/leads", json={"email": email, "company": "Lovelace"})
            assert posted.status_code == 202

            async def delivered() -> list[object]:
                return receiver.received()

            (request,) = await eventually(delivered, timeout=120)
    payload = Webhook(created.json()["secret"]).verify(request.body, request.headers)
    assert payload["data"]["lead_id"] == posted.json()["lead_id"] and payload["data"]["email"] == email
    assert json.loads(request.body)["type"] == "lead.converted"


async def _ready(stack: ServiceProcesses) -> bool:
    for name in stack.processes:
        async with stack.client(name) as client:
            if (await client.get("/readyz")).status_code != 200:
                return False
    return True
