"""Outbound through the real broker and database: subscriptions receive signed events, retried
with the same webhook-id, and a dead endpoint is disabled and alerted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from standardwebhooks import Webhook

from shared.events import Event, LeadConverted
from tests.conftest import make_settings
from tests.support.events import send
from tests.support.infra import Broker
from tests.support.receiver import Receiver, serve_receiver
from tests.support.stack import InProcessStack, eventually


class Outbound:
    def __init__(self, stack: InProcessStack, producer: AIOKafkaProducer, settings: dict[str, Any]) -> None:
        self.stack, self.producer, self.settings = stack, producer, settings
        self.client = stack.client("outbound")
        self.subscriptions: list[str] = []

    async def publish(self, *events: Event) -> None:
        for event in events:
            await send(self.producer, self.settings["kafka_topic_prefix"], event)

    async def subscribe(self, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
        response = await self.client.post("/v1/subscriptions", json={"url": url, "events": events, **extra})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        self.subscriptions.append(body["subscription_id"])
        return body

    async def unsubscribe_all(self) -> None:
        """The database is the session's: another test's delivery pass must not find these."""
        for subscription_id in self.subscriptions:
            await self.client.delete(f"/v1/subscriptions/{subscription_id}")


async def start_outbound(database_url: str, broker: Broker, **overrides: Any) -> Any:
    values = {
        "outbound_allow_loopback_targets": True,
        "outbound_delivery_poll_seconds": 0.05,
        "outbound_alert_poll_seconds": 0.05,
        "outbound_retry_base_seconds": 0.05,
        "outbound_retry_max_seconds": 0.2,
        **overrides,
    }
    return make_settings(database_url, broker.bootstrap, **values)


@pytest.fixture
async def outbound(database_url: str, broker: Broker) -> AsyncIterator[Outbound]:
    settings = await start_outbound(database_url, broker)
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    await producer.start()
    try:
        async with InProcessStack(settings, names=("outbound",)) as stack:
            await stack.wait_connected()
            running = Outbound(stack, producer, settings)
            yield running
            await running.unsubscribe_all()
    finally:
        await producer.stop()


def converted(**fields: Any) -> LeadConverted:
    values = {
        "lead_id": str(uuid.uuid4()),
        "contact_id": str(uuid.uuid4()),
        "account_id": str(uuid.uuid4()),
        "account_created": False,
        "method": "email_domain",
        "confidence": 0.98,
        "explanation": "the email's domain is the account's",
        "email": "ada@example.com",
        **fields,
    }
    return LeadConverted(**values)


def documented_verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    """The ten-line verifier of docs/outbound.md, as printed there."""
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(stamp)) > tolerance:
        return False  # too old or too new: a replay
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    return any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())


async def requests_of(receiver: Receiver, count: int) -> list[Any]:
    async def enough() -> list[Any]:
        found = receiver.received()
        return found if len(found) >= count else []

    return await eventually(enough, timeout=120)


async def test_a_subscription_receives_lead_converted_signed_as_standard_webhooks(outbound: Outbound) -> None:
    with serve_receiver() as receiver:
        subscription = await outbound.subscribe(receiver.url, ["lead.converted"])
        assert subscription["secret"].startswith("whsec_")
        event = converted()
        await outbound.publish(event)
        (request,) = await requests_of(receiver, 1)

    payload = Webhook(subscription["secret"]).verify(request.body, request.headers)
    assert documented_verify(subscription["secret"], request.headers, request.body)
    assert not documented_verify(subscription["secret"], request.headers, request.body + b" ")
    assert payload["type"] == "lead.converted" and payload["data"]["lead_id"] == event.lead_id
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
    tampered = request.body.replace(event.lead_id.encode(), b"someone-else")
    with pytest.raises(Exception, match="signature"):
        Webhook(subscription["secret"]).verify(tampered, request.headers)


async def test_a_receiver_answering_500_then_200_gets_the_event_twice_with_one_webhook_id(
    outbound: Outbound,
) -> None:
    with serve_receiver(statuses=[500]) as receiver:
        subscription = await outbound.subscribe(receiver.url, ["lead.converted"])
        await outbound.publish(converted())
        first, second = await requests_of(receiver, 2)
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        assert first.body == second.body

        path = f"/v1/subscriptions/{subscription['subscription_id']}/deliveries"

        async def delivered() -> dict[str, Any] | None:
            log = (await outbound.client.get(path)).json()["deliveries"]
            return log[0] if log and log[0]["status"] == "delivered" else None

        entry = await eventually(delivered, timeout=60)
        assert [a["status_code"] for a in entry["history"]] == [500, 200]
        assert entry["webhook_id"] == first.headers["webhook-id"]

        resent = await outbound.client.post(f"{path}/{entry['delivery_id']}/resend")
        assert resent.status_code == 202, resent.text
        third = (await requests_of(receiver, 3))[2]
        assert third.headers["webhook-id"] == first.headers["webhook-id"]


async def test_events_of_one_key_arrive_in_order_and_a_filter_selects(outbound: Outbound) -> None:
    account = str(uuid.uuid4())
    lead_id = str(uuid.uuid4())
    with serve_receiver(statuses=[503, 503]) as receiver:
        await outbound.subscribe(receiver.url, ["lead.converted"], filter={"account_id": [account]})
        events = [converted(lead_id=lead_id, account_id=account, explanation=f"n{i}") for i in range(5)]
        await outbound.publish(converted(), *events)  # the first has another account: filtered out
        found = await requests_of(receiver, 7)
    order = [json.loads(r.body)["data"]["explanation"] for r in found]
    assert order == ["n0", "n0", "n0", "n1", "n2", "n3", "n4"]


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://10.0.0.7/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "not a public address"),
        ("file:///etc/passwd", "http or https"),
        ("http://user:pw@example.com/", "credentials"),
    ],
)
async def test_private_and_odd_targets_are_refused(outbound: Outbound, url: str, reason: str) -> None:
    response = await outbound.client.post(
        "/v1/subscriptions", json={"url": url, "events": ["lead.converted"]}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["field"] == "url" and reason in problem["detail"]


async def test_subscriptions_are_for_admins_and_the_console_acting_for_its_person(
    database_url: str, broker: Broker
) -> None:
    keys = {"writer:write": "writer-key-0123456789abcdef", "console:console": "console-key-0123456789abcdef"}
    settings = await start_outbound(database_url, broker)
    settings["api_keys"] = [*settings["api_keys"], *(f"{name}={key}" for name, key in keys.items())]
    body = {"url": "http://127.0.0.1:9/hook", "events": ["lead.converted"]}
    async with InProcessStack(settings, names=("outbound",)) as stack:
        client = stack.client("outbound")
        writer = {"Authorization": f"Bearer {keys['writer:write']}"}
        refused = await client.post("/v1/subscriptions", json=body, headers=writer)
        assert refused.status_code == 403 and "subscriptions" in refused.json()["detail"]
        console = {
            "Authorization": f"Bearer {keys['console:console']}",
            "X-Cascade-On-Behalf-Of": "Rita Moreno",
        }
        created = await client.post("/v1/subscriptions", json=body, headers=console)
        assert created.status_code == 201, created.text
        assert created.json()["created_by"] == "Rita Moreno (via console)"
        path = f"/v1/subscriptions/{created.json()['subscription_id']}"
        assert (await client.delete(path, headers=writer)).status_code == 403
        assert (await client.delete(path, headers=console)).status_code == 204


async def test_loopback_is_refused_unless_allowed(database_url: str, broker: Broker) -> None:
    settings = await start_outbound(database_url, broker, outbound_allow_loopback_targets=False)
    async with InProcessStack(settings, names=("outbound",)) as stack:
        response = await stack.client("outbound").post(
            "/v1/subscriptions", json={"url": "http://127.0.0.1:9/hook", "events": ["lead.converted"]}
        )
    assert response.status_code == 422 and "loopback" in response.json()["detail"]
