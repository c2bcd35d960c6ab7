"""Owner routing at conversion on a real PostgreSQL and broker, with reps and pools put through
the API: new accounts go round-robin, weighted, in the country's sales pool; a matched account
keeps its active owner, an inactive one is replaced from the pool (`account.updated`); a pool
changed through the API takes effect without a restart; the reason is in lead.converted."""

from __future__ import annotations

import httpx

from shared.events import LeadCreated
from tests.conftest import make_settings
from tests.integration.test_matcher_matching import lead, word
from tests.support.db import fetch
from tests.support.events import publish
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually

DEADLINE = 180.0


async def convert_one(matcher: httpx.AsyncClient, broker: Broker, prefix: str, event: LeadCreated) -> dict:
    """Publish the lead and wait for its decision: one at a time, so the turns are in order."""
    await publish(broker, prefix, (event, 1))

    async def decided() -> dict | None:
        match = (await matcher.get(f"/v1/leads/{event.lead_id}/match")).json()
        return None if match["status"] == "pending" else match

    return await eventually(decided, timeout=DEADLINE)


async def put_team(matcher: httpx.AsyncClient, pool: str, reps: dict[str, int]) -> None:
    for rep in reps:
        answer = await matcher.put(f"/v1/reps/{rep}", json={"name": rep.title(), "team": "sales"})
        assert answer.status_code == 200, answer.text
    members = [{"rep_id": rep, "weight": weight} for rep, weight in reps.items()]
    answer = await matcher.put(
        f"/v1/pools/{pool}", json={"team": "sales", "countries": ["DE", "AT"], "members": members}
    )
    assert answer.status_code == 200, answer.text


async def test_new_accounts_are_routed_round_robin_in_the_countrys_pool(
    fresh_database_url: str, broker: Broker
) -> None:
    """A database of its own: another test's pool of the same country would compete."""
    database_url = fresh_database_url
    pool, tag = f"dach-{word().lower()}", word().lower()
    ann, bob, cid = f"ann-{tag}", f"bob-{tag}", f"cid-{tag}"
    settings = make_settings(database_url, broker.bootstrap)
    prefix = settings["kafka_topic_prefix"]
    async with InProcessStack(settings, names=("matcher",)) as stack:
        await stack.wait_connected()
        matcher = stack.client("matcher")
        await put_team(matcher, pool, {ann: 2, bob: 1, cid: 5})
        assert (await matcher.patch(f"/v1/reps/{cid}", json={"active": False})).status_code == 200
        owned = word().lower()
        await matcher.post(
            "/v1/accounts", json={"name": owned.title(), "domains": [f"{owned}.de"], "owner": "olga"}
        )
        events = [
            lead(f"p{n}@{word().lower()}-{n}.de", company=f"{word()} Werke", country="DE") for n in range(4)
        ]
        events.append(lead(f"x@{owned}.de", country="DE"))
        events.append(lead(f"y@{word().lower()}.jp", company="Far Away KK", country="JP"))
        decisions = [await convert_one(matcher, broker, prefix, event) for event in events]
        assert decisions[0]["owner"] == ann and pool in decisions[0]["owner_reason"]
    owners = [d["owner"] for d in decisions]
    assert owners[:4] == [ann, bob, ann, ann]
    assert f"weighted round-robin in pool {pool}" in decisions[0]["owner_reason"]
    assert f"{cid} skipped: inactive" in decisions[0]["owner_reason"]
    assert (owners[4], decisions[4]["owner_reason"]) == ("olga", "the account's owner")
    assert owners[5] is None and "no sales pool covers country JP" in decisions[5]["owner_reason"]
    [account] = await fetch(
        database_url, "SELECT owner FROM matcher.accounts WHERE account_id = $1", decisions[1]["account_id"]
    )
    assert account["owner"] == bob


async def test_an_inactive_owner_is_replaced_and_pool_changes_apply_at_once(
    fresh_database_url: str, broker: Broker
) -> None:
    """A database of its own: another test's pool of the same country would compete."""
    database_url = fresh_database_url
    pool, tag = f"dach-{word().lower()}", word().lower()
    ann, bob, dan = f"ann-{tag}", f"bob-{tag}", f"dan-{tag}"
    settings = make_settings(database_url, broker.bootstrap, matcher_owner_scan_seconds=0)
    prefix = settings["kafka_topic_prefix"]
    async with InProcessStack(settings, names=("matcher",)) as stack:
        await stack.wait_connected()
        matcher = stack.client("matcher")
        await put_team(matcher, pool, {ann: 1, bob: 1})
        domain = f"{word().lower()}.de"
        created = await matcher.post(
            "/v1/accounts", json={"name": domain.title(), "domains": [domain], "country": "DE", "owner": ann}
        )
        account_id = created.json()["account_id"]
        await matcher.patch(f"/v1/reps/{ann}", json={"active": False})
        first = await convert_one(matcher, broker, prefix, lead(f"a@{domain}", country="DE"))
        assert first["owner"] == bob and f"the account's owner {ann} is inactive" in first["owner_reason"]
        assert (await matcher.get(f"/v1/accounts/{account_id}")).json()["owner"] == bob
        # The pool changes through the API: the next decision uses it, no restart.
        assert (
            await matcher.put(f"/v1/reps/{dan}", json={"name": "Dan", "team": "sales"})
        ).status_code == 200
        answer = await matcher.patch(f"/v1/pools/{pool}", json={"members": [{"rep_id": dan, "weight": 1}]})
        assert answer.json()["turn"] == 2
        other = f"{word().lower()}.de"
        second = await convert_one(
            matcher, broker, prefix, lead(f"b@{other}", company=f"{word()} AG", country="DE")
        )
        assert second["owner"] == dan and "turn 2" in second["owner_reason"]
    updates = await fetch(
        database_url,
        "SELECT payload->>'owner' AS owner FROM matcher.outbox"
        " WHERE headers->>'ce_type' = 'account.updated' AND key = $1",
        account_id,
    )
    assert [u["owner"] for u in updates] == [bob]
    pools = await fetch(
        database_url,
        "SELECT payload->>'turn' AS turn FROM matcher.outbox WHERE headers->>'ce_type' = 'pool.updated'"
        " AND key = $1 ORDER BY created_at",
        pool,
    )
    assert [p["turn"] for p in pools] == ["1", "2"]


async def test_the_owner_scan_gives_an_inactive_owners_accounts_an_active_one(
    fresh_database_url: str, broker: Broker
) -> None:
    database_url = fresh_database_url
    settings = make_settings(database_url, broker.bootstrap, matcher_owner_scan_seconds=0.2)
    async with InProcessStack(settings, names=("matcher",)) as stack:
        await stack.wait_connected()
        matcher = stack.client("matcher")
        await put_team(matcher, "dach", {"ann": 1, "bob": 1, "cid": 1})
        created = [
            (
                await matcher.post(
                    "/v1/accounts", json={"name": f"Werk {n}", "country": "AT", "owner": "ann"}
                )
            ).json()
            for n in range(3)
        ]
        await matcher.patch("/v1/reps/ann", json={"active": False})

        async def reowned() -> list[str] | None:
            owners = [(await matcher.get(f"/v1/accounts/{a['account_id']}")).json()["owner"] for a in created]
            return owners if "ann" not in owners else None

        owners = await eventually(reowned, timeout=DEADLINE)
    assert sorted(owners) == ["bob", "bob", "cid"]
