"""Topics keep no order between them: a `lead.updated` that overtakes its `lead.created`
waits for it, and the score ends on the newest facts."""

from __future__ import annotations

import uuid

from shared.events import LeadCreated, LeadUpdated
from tests.conftest import make_settings
from tests.support.db import fetch, scalar
from tests.support.events import publish
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually


async def test_an_update_that_overtakes_its_creation_is_applied_after_it(
    database_url: str, broker: Broker
) -> None:
    settings = make_settings(database_url, broker.bootstrap)
    lead_id, email = str(uuid.uuid4()), f"o-{uuid.uuid4().hex[:8]}@order.example"
    created = LeadCreated(
        lead_id=lead_id, source="test", email=email, email_domain="order.example", title="Analyst"
    )
    updated = LeadUpdated(lead_id=lead_id, email=email, changed={"title": "Chief Executive Officer"})
    async with InProcessStack(settings, names=("scoring",)) as stack:
        await stack.wait_connected()
        await publish(broker, settings["kafka_topic_prefix"], (updated, 2), (created, 1))

        async def final_score() -> dict[str, object] | None:
            response = await stack.client("scoring").get(f"/v1/scores/{lead_id}")
            body = response.json() if response.status_code == 200 else None
            return body if body and any(r["rule"] == "seniority_c_level" for r in body["reasons"]) else None

        score = await eventually(final_score)
        assert score["fit"] == 25.0


async def test_the_matcher_keeps_a_change_that_overtook_the_creation(
    database_url: str, broker: Broker
) -> None:
    settings = make_settings(database_url, broker.bootstrap)
    lead_id, email = str(uuid.uuid4()), f"m-{uuid.uuid4().hex[:8]}@order-{uuid.uuid4().hex[:6]}.example"
    created = LeadCreated(
        lead_id=lead_id,
        source="test",
        email=email,
        email_domain=email.split("@")[1],
        first_name="Ann",
        title="Analyst",
    )
    updated = LeadUpdated(lead_id=lead_id, email=email, changed={"title": "CFO", "last_name": "Lee"})
    async with InProcessStack(settings, names=("matcher",)) as stack:
        await stack.wait_connected()
        await publish(broker, settings["kafka_topic_prefix"], (updated, 2), (created, 1))

        async def contact() -> list[object]:
            return await fetch(
                database_url,
                "SELECT first_name, last_name, title FROM matcher.contacts WHERE email = $1",
                email,
            )

        [row] = await eventually(contact)
    assert tuple(row) == ("Ann", "Lee", "CFO")
    assert (
        await scalar(
            database_url, "SELECT count(*) FROM matcher.early_lead_changes WHERE lead_id = $1", lead_id
        )
        == 0
    )
