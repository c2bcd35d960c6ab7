"""Segments reach the MAPs through the real broker: scoring keeps a person's segments from
buying-group events, outbound puts them on the HubSpot list and the Marketo static list the
segment maps to (their facts written to the person), and takes them off when they leave."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from shared.events import Event, LeadConverted, LeadCreated, OppContactRoleChanged, OppCreated
from tests.integration.test_outbound_webhooks import start_outbound
from tests.support.events import send
from tests.support.hubspot_api import HUBSPOT_TOKEN, HubSpotState, serve_hubspot_state
from tests.support.infra import Broker
from tests.support.marketo_api import CLIENT_ID, CLIENT_SECRET, MarketoState, serve_marketo
from tests.support.stack import InProcessStack, eventually

HUBSPOT_LIST, MARKETO_LIST = "101", "2001"


class Maps:
    def __init__(self, hubspot: HubSpotState, marketo: MarketoState) -> None:
        self.hubspot, self.marketo = hubspot, marketo


@pytest.fixture
def maps() -> Iterator[Maps]:
    with serve_hubspot_state() as hubspot, serve_marketo() as marketo:
        yield Maps(hubspot, marketo)


@pytest.fixture
async def stack(database_url: str, broker: Broker, maps: Maps) -> AsyncIterator[tuple[InProcessStack, Any]]:
    settings = await start_outbound(
        database_url,
        broker,
        outbound_map_sync_seconds=0.2,
        hubspot_access_token=HUBSPOT_TOKEN,
        hubspot_api_base=maps.hubspot.url,
        outbound_hubspot_lists={"potential-members": HUBSPOT_LIST},
        marketo_base_url=maps.marketo.url,
        marketo_client_id=CLIENT_ID,
        marketo_client_secret=CLIENT_SECRET,
        outbound_marketo_lists={"potential-members": MARKETO_LIST},
    )
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    await producer.start()

    async def publish(*events: Event) -> None:
        for event in events:
            await send(producer, settings["kafka_topic_prefix"], event)

    try:
        async with InProcessStack(settings, names=("scoring", "outbound")) as running:
            await running.wait_connected()
            yield running, publish
    finally:
        await producer.stop()


async def members_of(scoring: Any, segment_id: str) -> set[str]:
    """Every member, page by page (the session's database holds other tests' people too)."""
    found: set[str] = set()
    after = None
    while True:
        params = {"limit": 1000, **({"after": after} if after else {})}
        page = (await scoring.get(f"/v1/segments/{segment_id}/members", params=params)).json()
        found |= {m["person_id"] for m in page["members"]}
        if not (after := page["next_after"]):
            return found


async def test_segment_membership_appears_in_hubspot_and_marketo_and_leaves_with_the_person(
    stack: tuple[InProcessStack, Any], maps: Maps
) -> None:
    running, publish = stack
    email = f"grace.{uuid.uuid4().hex[:8]}@navy.example"
    contact_id = maps.hubspot.add_contact(email)
    lead_id = maps.marketo.add_lead(email)
    maps.hubspot.throttle, maps.marketo.rate_limited = 1, 1  # each MAP refuses the first call
    lead, contact, opp = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    await publish(
        LeadCreated(lead_id=lead, source="api", email=email, email_domain="navy.example", title="CFO"),
        LeadConverted(
            lead_id=lead,
            contact_id=contact,
            account_id="acct-1",
            account_created=False,
            method="email_domain",
            confidence=1.0,
            explanation="",
            email=email,
        ),
        OppCreated(opp_id=opp, account_id="acct-1", type="acquisition", stage="engaged", created_by="test"),
    )
    potential = OppContactRoleChanged(
        opp_id=opp,
        account_id="acct-1",
        contact_id=contact,
        role=None,
        change="added",
        status="potential",
        suggested_role="economic_buyer",
    )
    await publish(potential)

    async def listed() -> bool:
        return contact_id in maps.hubspot.lists.get(
            HUBSPOT_LIST, set()
        ) and lead_id in maps.marketo.lists.get(MARKETO_LIST, set())

    await eventually(listed, timeout=120)
    assert maps.hubspot.contacts[contact_id]["properties"]["cascade_lifecycle_stage"]
    assert "cascadeScore" in maps.marketo.leads[lead_id]
    scoring = running.client("scoring")
    assert lead in await members_of(scoring, "potential-members")

    await publish(
        potential.model_copy(update={"role": "economic_buyer", "status": "confirmed", "change": "changed"})
    )

    async def unlisted() -> bool:
        return (
            contact_id not in maps.hubspot.lists[HUBSPOT_LIST]
            and lead_id not in maps.marketo.lists[MARKETO_LIST]
        )

    await eventually(unlisted, timeout=120)
    log = (await running.client("outbound").get("/v1/map-sync/log", params={"limit": 1000})).json()
    assert any(e["system"] == "hubspot" and e["status_code"] == 429 for e in log)
    assert any(e["system"] == "marketo" and "606" in (e["detail"] or "") for e in log)
    assert all(items <= 100 for _, _, items in maps.hubspot.requests)

    async def settled() -> dict[str, Any] | None:  # the MAP answers before the queue commits
        status: dict[str, Any] = (await running.client("outbound").get("/v1/map-sync")).json()
        return status if status["operations"]["hubspot"].get("done", 0) >= 2 else None

    assert (await eventually(settled, timeout=60))["hubspot_lists"] == {"potential-members": HUBSPOT_LIST}
