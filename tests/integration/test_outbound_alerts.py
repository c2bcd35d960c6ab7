"""Alerts through the real broker: a review request reaches the chat channel and the SMTP server;
an SLA breach goes to the opp's owner and the stage's team, its escalation to RevOps too; a dead
endpoint is disabled and alerted."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from shared.events import LeadReviewRequested, MatchCandidate, OppSlaBreached, OppSlaEscalated
from tests.integration.test_outbound_webhooks import Outbound, converted, requests_of, start_outbound
from tests.support.infra import Broker
from tests.support.receiver import Receiver, serve_receiver
from tests.support.smtp import Mailbox, serve_smtp
from tests.support.stack import InProcessStack, eventually


class Channels:
    def __init__(self, revops: Receiver, sdr: Receiver, mailbox: Mailbox, port: int) -> None:
        self.revops, self.sdr, self.mailbox, self.port = revops, sdr, mailbox, port


@pytest.fixture
def channels() -> Iterator[Channels]:
    with serve_receiver() as revops, serve_receiver() as sdr, serve_smtp() as (port, mailbox):
        yield Channels(revops, sdr, mailbox, port)


@pytest.fixture
async def alerting(database_url: str, broker: Broker, channels: Channels) -> AsyncIterator[Outbound]:
    settings = await start_outbound(
        database_url,
        broker,
        smtp_host="127.0.0.1",
        smtp_port=channels.port,
        smtp_starttls=False,
        outbound_disable_after_days=2 / 86400,  # two seconds of failure
        outbound_teams={
            "revops": {"chat": {"url": channels.revops.url}, "emails": ["revops@example.com"]},
            "sdr": {"chat": {"url": channels.sdr.url, "format": "teams"}},
        },
        outbound_people={"rep-7": {"emails": ["rep7@example.com"]}},
    )
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


async def mail_to(mailbox: Mailbox, address: str) -> list[Any]:
    async def found() -> list[Any]:
        return [m for to, m in mailbox.messages() if address in to]

    return await eventually(found, timeout=120)


async def test_a_review_request_reaches_the_chat_channel_and_the_smtp_server(
    alerting: Outbound, channels: Channels
) -> None:
    lead_id = str(uuid.uuid4())
    candidate = MatchCandidate(account_id="a-1", name="Orbital Mechanics", score=0.71, method="fuzzy_name")
    await alerting.publish(
        LeadReviewRequested(lead_id=lead_id, candidates=[candidate], reason="uncertain match")
    )

    (chat,) = await requests_of(channels.revops, 1)
    message = json.loads(chat.body)
    assert message["text"] == f"Lead {lead_id} waits for a review: uncertain match"
    assert message["blocks"][0]["type"] == "header"
    (mail,) = await mail_to(channels.mailbox, "revops@example.com")
    assert mail["Subject"] == message["text"]
    assert "candidates: 1 items" in mail.get_content()
    assert channels.sdr.received() == []


async def test_an_sla_breach_goes_to_the_owner_and_the_team_owning_the_stage(
    alerting: Outbound, channels: Channels
) -> None:
    opp_id = str(uuid.uuid4())
    breach = OppSlaBreached(
        opp_id=opp_id,
        stage="qualified",
        sla_hours=48,
        overdue_by_seconds=60,
        type="acquisition",
        owner="rep-7",
    )
    await alerting.publish(breach)
    (card,) = await requests_of(channels.sdr, 1)
    assert json.loads(card.body)["@type"] == "MessageCard"
    assert opp_id in json.loads(card.body)["title"]
    (mail,) = await mail_to(channels.mailbox, "rep7@example.com")
    assert "past its 48.0h SLA in qualified" in mail["Subject"]
    assert channels.revops.received() == []


async def test_an_escalated_breach_goes_up_to_revops_and_to_the_stages_team(
    alerting: Outbound, channels: Channels
) -> None:
    opp_id = str(uuid.uuid4())
    escalated = OppSlaEscalated(
        opp_id=opp_id,
        stage="qualified",
        sla_hours=48,
        overdue_by_seconds=48 * 3600 + 60,
        breached_at=datetime(2026, 11, 30, 9, tzinfo=UTC),
        type="acquisition",
        owner="rep-7",
    )
    await alerting.publish(escalated)
    (chat,) = await requests_of(channels.revops, 1)
    assert json.loads(chat.body)["text"] == (
        f"Escalated: opportunity {opp_id} is still in qualified, past its 48.0h SLA"
        " since 2026-11-30T09:00:00Z"
    )
    (card,) = await requests_of(channels.sdr, 1)
    assert opp_id in json.loads(card.body)["title"]
    (mail,) = await mail_to(channels.mailbox, "revops@example.com")
    assert mail["Subject"].startswith("Escalated: opportunity")
    alerts = (await alerting.client.get("/v1/alerts", params={"kind": "opp.sla_escalated"})).json()
    chats = {a["target"] for a in alerts if a["channel"] == "chat"}
    assert chats == {"http://127.0.0.1/..."}, "a chat webhook's secret path is never shown"


async def test_a_dead_endpoint_is_disabled_and_revops_alerted(alerting: Outbound, channels: Channels) -> None:
    with serve_receiver(then=500) as dead:
        subscription = await alerting.subscribe(dead.url, ["lead.converted"])
        await alerting.publish(converted())
        path = f"/v1/subscriptions/{subscription['subscription_id']}"

        async def disabled() -> dict[str, Any] | None:
            body: dict[str, Any] = (await alerting.client.get(path)).json()
            return body if body["status"] == "disabled" else None

        found = await eventually(disabled, timeout=120)
        assert "every delivery failed since" in found["disabled_reason"]
        attempts = len(dead.received())
        assert attempts >= 2

    (chat,) = await requests_of(channels.revops, 1)
    assert json.loads(chat.body)["text"] == f"Webhook endpoint {dead.url} was disabled"
    await mail_to(channels.mailbox, "revops@example.com")
    log = (await alerting.client.get(f"{path}/deliveries")).json()["deliveries"]
    assert log[0]["status"] == "pending" and {a["status_code"] for a in log[0]["history"]} == {500}

    enabled = await alerting.client.patch(path, json={"enabled": True})
    assert enabled.json()["status"] == "active" and enabled.json()["failing_since"] is None


async def test_a_dead_letter_of_any_service_is_alerted_once(database_url: str, broker: Broker) -> None:
    with serve_receiver() as revops:
        settings = await start_outbound(
            database_url,
            broker,
            outbound_watch_seconds=0.3,
            outbound_teams={"revops": {"chat": {"url": revops.url}}},
        )
        prefix = settings["kafka_topic_prefix"]
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        await producer.start()
        try:
            headers = [
                ("ce_id", b"e-1"),
                ("ce_type", b"lead.created"),
                ("x-failed-by", f"{prefix}cascade-matcher".encode()),
                ("x-error", b"ValueError: no"),
                ("x-original-topic", f"{prefix}lead.created".encode()),
            ]
            await producer.send_and_wait(f"{prefix}lead.created.dlq", b"{}", key=b"k", headers=headers)
            async with InProcessStack(settings, names=("outbound",)) as stack:
                (chat,) = await requests_of(revops, 1)
                assert (
                    json.loads(chat.body)["text"]
                    == f"{prefix}cascade-matcher dead-lettered a lead.created event"
                )
                runtime = stack.runtime("outbound")
                watcher = next(job for job in runtime.definition.jobs if job.name == "watch")
                await watcher.run(runtime.uow, runtime.settings)  # reads again from where it was
                alerts = await stack.client("outbound").get(
                    "/v1/alerts", params={"kind": "platform.dead_letter"}
                )
                assert len(alerts.json()) == 1
        finally:
            await producer.stop()
