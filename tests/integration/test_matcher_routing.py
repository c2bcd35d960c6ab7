"""Owner routing at conversion on a real PostgreSQL and broker: new accounts go round-robin,
weighted, in the country's territory pool; matched accounts keep their owner; the reason is
in lead.converted."""

from __future__ import annotations

from tests.conftest import make_settings
from tests.integration.test_matcher_matching import lead, word
from tests.support.db import fetch
from tests.support.events import publish
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually


async def test_new_accounts_are_routed_round_robin_in_the_countrys_pool(
    database_url: str, broker: Broker
) -> None:
    pool = f"dach-{word().lower()}"
    territories = [
        {
            "name": pool,
            "countries": ["DE", "AT"],
            "members": [
                {"owner": "ann", "weight": 2},
                {"owner": "bob", "weight": 1},
                {"owner": "cid", "weight": 5, "active": False},
            ],
        }
    ]
    settings = make_settings(database_url, broker.bootstrap, matcher_territories=territories)
    async with InProcessStack(settings, names=("matcher",)) as stack:
        await stack.wait_connected()
        matcher = stack.client("matcher")
        owned = word().lower()
        await matcher.post(
            "/v1/accounts", json={"name": owned.title(), "domains": [f"{owned}.de"], "owner": "olga"}
        )
        events = [
            lead(f"p{n}@{word().lower()}-{n}.de", company=f"{word()} Werke", country="DE") for n in range(4)
        ]
        events.append(lead(f"x@{owned}.de", country="DE"))
        events.append(lead(f"y@{word().lower()}.jp", company="Far Away KK", country="JP"))
        for event in events:  # one at a time, so the turns are in order
            await publish(broker, settings["kafka_topic_prefix"], (event, 1))

            async def converted(lead_id: str = event.lead_id) -> bool:
                return (await matcher.get(f"/v1/leads/{lead_id}/match")).json()["status"] != "pending"

            await eventually(converted)
        via_api = (await matcher.get(f"/v1/leads/{events[0].lead_id}/match")).json()
        assert via_api["owner"] == "ann" and pool in via_api["owner_reason"]
    rows = await fetch(
        database_url,
        "SELECT key, payload->>'owner' AS owner, payload->>'owner_reason' AS reason,"
        " payload->>'account_id' AS account FROM matcher.outbox"
        " WHERE headers->>'ce_type' = 'lead.converted' AND key = ANY($1::text[])",
        [e.lead_id for e in events],
    )
    by_lead = {r["key"]: r for r in rows}
    owners = [by_lead[e.lead_id]["owner"] for e in events]
    assert owners[:4] == ["ann", "bob", "ann", "ann"]
    assert f"weighted round-robin in territory pool {pool}" in by_lead[events[0].lead_id]["reason"]
    assert (owners[4], by_lead[events[4].lead_id]["reason"]) == ("olga", "the account's owner")
    assert owners[5] is None and "no territory pool covers country JP" in by_lead[events[5].lead_id]["reason"]
    assert "pool" in by_lead[events[2].lead_id]["reason"]
    new_account = by_lead[events[1].lead_id]["account"]
    [account] = await fetch(
        database_url, "SELECT owner FROM matcher.accounts WHERE account_id = $1", new_account
    )
    assert account["owner"] == "bob"
