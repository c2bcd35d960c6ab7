"""Outbound's use cases and handler against the unit of work in memory."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.outbound.app import deliveries, subscriptions, watch
from services.outbound.app.deliveries import Outcome, Outgoing
from services.outbound.app.handlers import HANDLERS, on_event
from services.outbound.domain.retry import RetryPolicy, next_delay
from services.outbound.domain.targets import TargetPolicy, refusal
from services.outbound.settings import OutboundSettings
from shared.errors import Invalid
from shared.events import CATALOG, LeadConverted, OppHandoffEscalated, OppSlaBreached
from shared.messaging import check_handlers
from tests.support.fakes import envelope
from tests.unit.outbound.fakes import FakeOutboundUnitOfWork

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


class Targets:
    async def refusals(self, url: str) -> list[str]:
        return ["10.0.0.1 is a private address"] if "internal" in url else []


class Sender:
    def __init__(self, *statuses: int | None) -> None:
        self.statuses = list(statuses)
        self.sent: list[Outgoing] = []

    async def send_all(self, outgoing: list[Outgoing]) -> list[Outcome]:
        self.sent += outgoing
        return [Outcome(self.statuses.pop(0) if self.statuses else 200, None, 1.0) for _ in outgoing]


def settings(**values: Any) -> OutboundSettings:
    return OutboundSettings(
        **{"outbound_retry_base_seconds": 0.001, "outbound_retry_max_seconds": 0.001, **values}
    )


def converted(lead_id: str = "l-1", **fields: Any) -> LeadConverted:
    values = {
        "contact_id": "c-1",
        "account_id": "a-1",
        "account_created": False,
        "method": "domain",
        "explanation": "x",
    }
    return LeadConverted(lead_id=lead_id, confidence=1.0, email="a@x.example", **{**values, **fields})


async def subscribed(uow: FakeOutboundUnitOfWork, **extra: Any) -> str:
    created = await subscriptions.create(
        uow,
        Targets(),
        url="https://hooks.example/in",
        events=["lead.converted"],
        filter={},
        description=None,
        actor="test",
        now=NOW,
        **extra,
    )
    return created.subscription_id


def test_every_event_of_the_catalog_is_consumed_by_one_handler() -> None:
    check_handlers(HANDLERS)
    assert set(HANDLERS) == set(CATALOG.values())


@pytest.mark.parametrize(
    "address, policy, refused",
    [
        ("127.0.0.1", TargetPolicy(), True),
        ("127.0.0.1", TargetPolicy(allow_loopback=True), False),
        ("::ffff:127.0.0.1", TargetPolicy(), True),
        ("192.168.1.4", TargetPolicy(), True),
        ("192.168.1.4", TargetPolicy(allow_private=True), False),
        ("169.254.169.254", TargetPolicy(allow_private=True), True),
        ("0.0.0.0", TargetPolicy(allow_private=True, allow_loopback=True), True),
        ("93.184.216.34", TargetPolicy(), False),
    ],
)
def test_the_ssrf_guard(address: str, policy: TargetPolicy, refused: bool) -> None:
    assert (refusal(ipaddress.ip_address(address), policy) is not None) is refused


def test_backoff_doubles_within_its_jitter_and_cap() -> None:
    policy = RetryPolicy(
        base_seconds=5, max_seconds=60, window=timedelta(hours=1), disable_after=timedelta(days=1)
    )
    assert [next_delay(policy, n, 0.5) for n in (1, 2, 3, 10)] == [5, 10, 20, 60]
    assert next_delay(policy, 1, 0.0) == 2.5 and next_delay(policy, 1, 0.999) < 7.5


async def test_unknown_event_types_fields_and_refused_targets_are_named() -> None:
    uow = FakeOutboundUnitOfWork()
    with pytest.raises(Invalid) as unknown:
        await subscriptions.create(
            uow,
            Targets(),
            url="https://x.example",
            events=["lead.converted", "lead.exploded"],
            filter={},
            description=None,
            actor="t",
            now=NOW,
        )
    assert unknown.value.field == "events.1"
    with pytest.raises(Invalid) as field:
        await subscriptions.create(
            uow,
            Targets(),
            url="https://x.example",
            events=["lead.converted"],
            filter={"stage": ["x"]},
            description=None,
            actor="t",
            now=NOW,
        )
    assert field.value.field == "filter.stage"
    with pytest.raises(Invalid) as target:
        await subscriptions.create(
            uow,
            Targets(),
            url="https://internal.example",
            events=["lead.converted"],
            filter={},
            description=None,
            actor="t",
            now=NOW,
        )
    assert target.value.field == "url"


async def test_one_event_one_delivery_per_subscription_even_when_redelivered() -> None:
    uow = FakeOutboundUnitOfWork()
    await subscribed(uow)
    record = envelope(converted(), 1)
    await on_event(converted(), record, uow, settings())
    await on_event(converted(), record, uow, settings())
    assert len(uow.deliveries.rows) == 1


async def test_a_rotated_secret_signs_beside_the_new_one_for_the_grace_period() -> None:
    uow = FakeOutboundUnitOfWork()
    subscription_id = await subscribed(uow)
    old = uow.subscriptions.rows[subscription_id].secret
    rotated = await subscriptions.update(
        uow, settings(), Targets(), subscription_id, changes={}, rotate_secret=True, now=NOW
    )
    assert rotated.secret != old
    assert deliveries.signing_secrets(rotated, NOW + timedelta(hours=1)) == [rotated.secret, old]
    assert deliveries.signing_secrets(rotated, NOW + timedelta(hours=25)) == [rotated.secret]


async def test_a_failure_is_retried_in_order_and_a_long_failure_disables_with_an_alert() -> None:
    uow = FakeOutboundUnitOfWork()
    subscription_id = await subscribed(uow)
    for n in range(2):
        await on_event(
            converted(explanation=f"n{n}"), envelope(converted(explanation=f"n{n}"), n), uow, settings()
        )
    sender = Sender(500, 200, 200)
    await deliveries.deliver_due(lambda: uow, settings(), sender)
    assert len(sender.sent) == 1  # the second waits behind the first of its key
    while any(d.status == "pending" for d in uow.deliveries.rows):
        await deliveries.deliver_due(lambda: uow, settings(), sender)
    bodies = [o.body for o in sender.sent]
    assert bodies[0] == bodies[1] and "n1" in bodies[2]

    strict = settings(
        outbound_disable_after_days=1e-12, outbound_teams={"revops": {"emails": ["r@x.example"]}}
    )
    await on_event(converted("l-2"), envelope(converted("l-2"), 1), uow, strict)
    failing = Sender(500, 500, 500, 500)
    for _ in range(3):
        uow.deliveries.rows = [
            d.model_copy(update={"next_attempt_at": LONG_AGO}) for d in uow.deliveries.rows
        ]
        await deliveries.deliver_due(lambda: uow, strict, failing)
    assert uow.subscriptions.rows[subscription_id].status == "disabled"
    (alert,) = uow.alerts.rows
    assert alert.kind == "outbound.subscription_disabled" and alert.target == "r@x.example"


async def test_alert_rules_are_keyed_by_event_type_and_route_by_owner_and_stage_team() -> None:
    uow = FakeOutboundUnitOfWork()
    configured = settings(
        outbound_teams={"sales": {"emails": ["sales@x.example"]}, "revops": {"emails": ["revops@x.example"]}},
        outbound_people={"rep-1": {"chat": {"url": "https://chat.example/rep-1", "format": "teams"}}},
    )
    breach = OppSlaBreached(
        opp_id="o-1", stage="pipeline", type="acquisition", sla_hours=24, overdue_by_seconds=5, owner="rep-1"
    )
    await on_event(breach, envelope(breach, 1), uow, configured)
    assert {(a.channel, a.target, a.audience) for a in uow.alerts.rows} == {
        ("chat", "https://chat.example/rep-1", "owner"),
        ("email", "sales@x.example", "stage_team"),
    }
    unknown_owner = breach.model_copy(update={"owner": "rep-9", "stage": "unmapped", "opp_id": "o-2"})
    await on_event(unknown_owner, envelope(unknown_owner, 1), uow, configured)
    assert [(a.target, a.audience) for a in uow.alerts.rows if "o-2" in a.subject] == [
        ("revops@x.example", "revops")
    ]
    with pytest.raises(ValueError, match=r"unknown event types: opp\.exploded"):
        settings(outbound_alert_rules={"opp.exploded": {"to": ["revops"], "title": "x"}})


async def test_an_unaccepted_handoff_reaches_its_owner_and_the_stage_team() -> None:
    uow = FakeOutboundUnitOfWork()
    configured = settings(
        outbound_teams={"sdr": {"emails": ["sdr@x.example"]}, "revops": {"emails": ["revops@x.example"]}},
        outbound_people={"sam": {"emails": ["sam@x.example"]}},
    )
    now = datetime(2026, 12, 2, tzinfo=UTC)
    escalated = OppHandoffEscalated(
        opp_id="o-3", account_id="a-1", type="acquisition", stage="qualified", team="sdr", owner="sam",
        assigned_at=now, due_at=now, overdue_by_seconds=60,
    )  # fmt: skip
    await on_event(escalated, envelope(escalated, 1), uow, configured)
    assert {(a.target, a.audience) for a in uow.alerts.rows} == {
        ("sam@x.example", "owner"),
        ("sdr@x.example", "stage_team"),
    }
    assert "sam has not accepted the qualified handoff" in uow.alerts.rows[0].subject


async def test_a_stalled_consumer_is_alerted_once_per_stall() -> None:
    uow = FakeOutboundUnitOfWork()
    configured = settings(
        outbound_watch_services={"scoring": "http://scoring"},
        outbound_teams={"revops": {"emails": ["r@x.example"]}},
    )

    probe = Probe(watch.Health("stalled", "lag is growing"))
    assert await watch.watch_consumers(lambda: uow, configured, probe) == 1
    assert await watch.watch_consumers(lambda: uow, configured, probe) == 0
    probe.answer = watch.Health("ok")
    await watch.watch_consumers(lambda: uow, configured, probe)
    probe.answer = watch.Health("stalled", "again")
    assert await watch.watch_consumers(lambda: uow, configured, probe) == 1
    assert [a.kind for a in uow.alerts.rows] == ["platform.consumer_stalled"] * 2


class Probe:
    def __init__(self, answer: watch.Health) -> None:
        self.answer = answer

    async def health(self, base_url: str) -> watch.Health:
        return self.answer


async def test_a_service_that_stops_answering_is_alerted_at_its_second_miss_once_per_outage() -> None:
    uow = FakeOutboundUnitOfWork()
    configured = settings(
        outbound_watch_services={"matcher": "http://matcher"},
        outbound_teams={"revops": {"emails": ["r@x.example"]}},
    )
    probe = Probe(watch.Health("unreachable", "ConnectError at http://matcher"))
    assert await watch.watch_consumers(lambda: uow, configured, probe) == 0  # once: maybe a restart
    assert await watch.watch_consumers(lambda: uow, configured, probe) == 1
    assert await watch.watch_consumers(lambda: uow, configured, probe) == 0
    probe.answer = watch.Health("ok")
    await watch.watch_consumers(lambda: uow, configured, probe)
    probe.answer = watch.Health("unreachable", "ConnectError at http://matcher")
    await watch.watch_consumers(lambda: uow, configured, probe)
    probe.answer = watch.Health("ok")  # back after one miss: a restart, no alert
    await watch.watch_consumers(lambda: uow, configured, probe)
    [alert] = uow.alerts.rows
    assert alert.kind == "platform.service_unreachable"
    assert alert.subject == "matcher does not answer: ConnectError at http://matcher"
