"""The review queue over HTTP on a real PostgreSQL and broker: uncertain matches and (policy
option 2) no-matches wait for a person, who picks, creates or rejects; each decision is audited
and emits its event."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.events import LeadCreated
from tests.conftest import as_, make_settings
from tests.integration.test_matcher_matching import lead, word
from tests.support.db import fetch
from tests.support.events import publish
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually


async def test_review_queue_list_and_resolve_over_http(database_url: str, broker: Broker) -> None:
    brand = word()
    settings = make_settings(
        database_url, broker.bootstrap, matcher_no_match_policy="review", matcher_review_sla_hours=0.0003
    )
    async with InProcessStack(settings, names=("matcher",)) as stack:
        await stack.wait_connected()
        matcher = stack.client("matcher")
        created = await matcher.post(
            "/v1/accounts", json={"name": f"{brand} Analytics GmbH", "domains": [f"{brand.lower()}.de"]}
        )
        account_id = created.json()["account_id"]
        leads: dict[str, LeadCreated] = {
            "uncertain": lead(f"u-{word()}@gmail.com", company=f"{brand} Analytics Group", country="DE"),
            "unknown": lead(f"n@{word().lower()}.example.com", company=f"{word()} Bakery", country="FR"),
            "spam": lead(f"s-{word()}@gmail.com", company=f"{brand} Analytics International", country="DE"),
        }
        for key in ("uncertain", "unknown", "spam"):  # one at a time: the queue is oldest first
            await publish(broker, settings["kafka_topic_prefix"], (leads[key], 1))
            lead_id = leads[key].lead_id

            async def queued(lead_id: str = lead_id) -> bool:
                return (await matcher.get(f"/v1/leads/{lead_id}/match")).json()["status"] == "in_review"

            await eventually(queued)
        requested = await fetch(
            database_url,
            "SELECT payload FROM matcher.outbox WHERE headers->>'ce_type' = 'lead.review_requested'"
            " AND key = ANY($1::text[])",
            [e.lead_id for e in leads.values()],
        )
        assert len(requested) == 3

        mine = await matcher.get("/v1/review-queue", params={"account_id": account_id})
        assert mine.status_code == 200, mine.text
        items = mine.json()
        assert [i["lead_id"] for i in items] == [leads["uncertain"].lead_id, leads["spam"].lead_id]
        first = items[0]
        assert first["candidates"][0]["account_id"] == account_id
        assert first["candidates"][0]["method"] == "name_variant" and first["candidates"][0]["score"] == 0.8
        assert first["candidates"][0]["reasons"] and "uncertain match" in first["reason"]
        no_match = (
            await matcher.get("/v1/review-queue", params={"reason": "no match", "country": "fr"})
        ).json()
        assert leads["unknown"].lead_id in [i["lead_id"] for i in no_match]

        await asyncio.sleep(1.2)  # past the 1-second SLA of this test
        late = (
            await matcher.get("/v1/review-queue", params={"account_id": account_id, "overdue": "true"})
        ).json()
        assert len(late) == 2 and all(i["overdue"] for i in late)

        async def resolve(item_id: str, as_who: str, **body: Any) -> Any:
            return await matcher.post(f"/v1/review-queue/{item_id}/resolve", json=body, headers=as_(as_who))

        missing = await resolve(first["item_id"], action="pick", as_who="rita")
        assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "account_id"
        unknown_account = await resolve(first["item_id"], action="pick", account_id="nope", as_who="rita")
        assert unknown_account.status_code == 422
        assert (await resolve("no-such-item", action="reject", as_who="rita")).status_code == 404

        picked = await resolve(first["item_id"], action="pick", account_id=account_id, as_who="rita")
        assert picked.status_code == 200, picked.text
        assert picked.json()["status"] == "resolved" and picked.json()["resolved_by"] == "rita"
        assert picked.json()["resolved_at"]
        again = await resolve(first["item_id"], action="reject", as_who="sam")
        assert again.status_code == 409

        unknown_item = next(i for i in no_match if i["lead_id"] == leads["unknown"].lead_id)
        made = await resolve(
            unknown_item["item_id"], action="create", account_name="Brand New Bakery", as_who="sam"
        )
        assert made.status_code == 200, made.text
        rejected = await resolve(items[1]["item_id"], action="reject", reason="competitor", as_who="sam")
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"

        matches = {k: (await matcher.get(f"/v1/leads/{e.lead_id}/match")).json() for k, e in leads.items()}
    assert (matches["uncertain"]["status"], matches["uncertain"]["account_id"]) == ("matched", account_id)
    assert matches["uncertain"]["method"] == "review" and "rita picked" in matches["uncertain"]["explanation"]
    assert matches["unknown"]["status"] == "account_created"
    assert matches["spam"]["status"] == "rejected"
    events = await fetch(
        database_url,
        "SELECT headers->>'ce_type' AS type, payload FROM matcher.outbox WHERE key = ANY($1::text[])"
        " AND headers->>'ce_type' IN ('lead.converted', 'lead.rejected') ORDER BY seq",
        [e.lead_id for e in leads.values()],
    )
    assert [e["type"] for e in events] == ["lead.converted", "lead.converted", "lead.rejected"]
    assert '"resolved_by": "rita"' in events[0]["payload"]
    assert '"rejected_by": "sam"' in events[2]["payload"] and "competitor" in events[2]["payload"]
    bakery = await fetch(database_url, "SELECT name FROM matcher.accounts WHERE name = 'Brand New Bakery'")
    assert len(bakery) >= 1
