"""`/v1/dead-letters` on a running matcher: records its consumers dead-lettered (live and bulk
lanes) are listed, retried through the running service's own consumers once the cause is fixed,
or discarded; only keys with the dead-letters right (admin, the console's) may change them."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from structlog.testing import capture_logs

from services.matcher.app.uow import MatcherUnitOfWork
from services.matcher.bootstrap import DEFINITION
from services.matcher.settings import MatcherSettings
from shared.app import create_app
from shared.events import Envelope, LeadCreated, encode_headers
from shared.keys import digest
from shared.runtime import Runtime
from tests.conftest import make_settings
from tests.support.events import envelope
from tests.support.infra import Broker
from tests.support.stack import eventually

KEYS = {role: f"{role}-key-{uuid.uuid4().hex}" for role in ("write", "console", "admin")}
DOMAIN = f"letters-{uuid.uuid4().hex[:8]}.example"
BUG = {"present": True}  # the cause of the dead letters, fixed halfway through the test


async def buggy_on_lead_created(
    event: LeadCreated, envelope: Envelope, uow: MatcherUnitOfWork, settings: MatcherSettings
) -> None:
    if BUG["present"] and event.email_domain == DOMAIN:
        raise RuntimeError("a bug, since fixed")
    await DEFINITION.handlers[LeadCreated](event, envelope, uow, settings)


def as_role(role: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}", **more}


@pytest.fixture
async def matcher(database_url: str, broker: Broker) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    keys = [f"{role}-bot:{role}=sha256:{digest(key)}" for role, key in KEYS.items()]
    values = make_settings(database_url, broker.bootstrap, api_keys=keys, consumer_max_attempts=1)
    definition = replace(DEFINITION, handlers={**DEFINITION.handlers, LeadCreated: buggy_on_lead_created})
    app = create_app(definition, definition.settings(**values))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://matcher") as client,
    ):
        runtime: Runtime = app.state.runtime

        async def consuming() -> bool:
            runners = [r for r in (runtime.consumer, runtime.bulk) if r is not None]
            return runtime.broker_connected and len(runners) == 2 and all(r.assigned() for r in runners)

        await eventually(consuming, timeout=120)
        yield client, values["kafka_topic_prefix"]
    BUG["present"] = True


async def publish(broker: Broker, topic: str, lead_id: str) -> None:
    event = LeadCreated(lead_id=lead_id, source="test", email=f"{lead_id}@{DOMAIN}", email_domain=DOMAIN)
    record = envelope(event, 1)
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, json.dumps(record.data).encode(), key=lead_id.encode(), headers=encode_headers(record)
        )
    finally:
        await producer.stop()


async def test_dead_letters_are_listed_retried_once_fixed_or_discarded_by_an_admin(
    matcher: tuple[httpx.AsyncClient, str], broker: Broker
) -> None:
    client, prefix = matcher
    live, bulk, dropped = (f"lead-{uuid.uuid4().hex[:8]}" for _ in range(3))
    topic = prefix + LeadCreated.TYPE
    for lead_id, on in ((live, topic), (bulk, f"{topic}.bulk"), (dropped, topic)):
        await publish(broker, on, lead_id)

    async def letters() -> dict[str, dict[str, Any]]:
        answer = await client.get("/v1/dead-letters", params={"limit": 1000}, headers=as_role("write"))
        assert answer.status_code == 200, answer.text
        mine = {letter["key"]: letter for letter in answer.json() if letter["key"] in (live, bulk, dropped)}
        return mine if len(mine) == 3 else {}

    listed = await eventually(letters)
    assert {letter["topic"] for letter in listed.values()} == {topic, f"{topic}.bulk"}
    for letter in listed.values():
        assert letter["event_type"] == "lead.created" and letter["attempts"] == 1
        assert "a bug, since fixed" in letter["error"] and letter["partition"] >= 0 and letter["offset"] >= 0
    newest = (await client.get("/v1/dead-letters", params={"limit": 2}, headers=as_role("write"))).json()
    assert len(newest) == 2 and newest[0]["id"] > newest[1]["id"]
    second = await client.get("/v1/dead-letters", params={"limit": 1, "offset": 1}, headers=as_role("write"))
    assert [letter["id"] for letter in second.json()] == [newest[1]["id"]]

    retry = f"/v1/dead-letters/{listed[live]['id']}/retry"
    refused = await client.post(retry, headers=as_role("write"))
    assert refused.status_code == 403 and "dead-letters" in refused.json()["detail"]
    assert refused.headers["content-type"] == "application/problem+json"
    failed = await client.post(retry, headers=as_role("admin"))
    assert failed.status_code == 409 and "a bug, since fixed" in failed.json()["detail"]
    assert (await letters())[live]["attempts"] == 2

    BUG["present"] = False
    for lead_id in (live, bulk):
        done = await client.post(f"/v1/dead-letters/{listed[lead_id]['id']}/retry", headers=as_role("admin"))
        assert done.status_code == 200 and done.json() == {
            "id": listed[lead_id]["id"],
            "outcome": "processed",
        }
        match = (await client.get(f"/v1/leads/{lead_id}/match", headers=as_role("write"))).json()
        assert match["status"] in ("account_created", "matched"), match
    again = await client.post(retry, headers=as_role("admin"))
    assert again.status_code == 404 and again.headers["content-type"] == "application/problem+json"

    discard = f"/v1/dead-letters/{listed[dropped]['id']}/discard"
    assert (await client.post(discard, headers=as_role("write"))).status_code == 403
    with capture_logs() as logs:
        gone = await client.post(
            discard, headers=as_role("console", **{"X-Cascade-On-Behalf-Of": "Rita Moreno"})
        )
    assert gone.status_code == 200 and gone.json()["outcome"] == "discarded"
    assert [e["actor"] for e in logs if e["event"] == "dead_letter.discarded"] == [
        "Rita Moreno (via console-bot)"
    ]
    assert (await client.post(discard, headers=as_role("admin"))).status_code == 404
    assert (await client.get(f"/v1/leads/{dropped}/match", headers=as_role("write"))).json()[
        "status"
    ] == "pending"
