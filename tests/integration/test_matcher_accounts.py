"""The account directory over HTTP: parents, changes with `account.updated`, domain ownership."""

from __future__ import annotations

from services.matcher.adapters.candidates import deletion_keys
from tests.conftest import make_settings
from tests.integration.test_matcher_matching import word
from tests.support.db import fetch
from tests.support.infra import Broker
from tests.support.stack import InProcessStack


async def test_accounts_are_created_changed_and_keep_one_owner_per_domain(
    database_url: str, broker: Broker
) -> None:
    tag = word().lower()
    async with InProcessStack(make_settings(database_url, broker.bootstrap), names=("matcher",)) as stack:
        matcher = stack.client("matcher")
        orphan = await matcher.post("/v1/accounts", json={"name": "Orphan", "parent_id": "nope"})
        assert orphan.status_code == 422 and orphan.json()["errors"][0]["field"] == "parent_id"
        parent = (
            await matcher.post("/v1/accounts", json={"name": f"{tag} Holdings", "domains": [f"{tag}.com"]})
        ).json()
        child = await matcher.post(
            "/v1/accounts",
            json={
                "name": f"{tag} Robotics",
                "domains": [f"{tag}-robotics.com"],
                "parent_id": parent["account_id"],
            },
        )
        assert child.status_code == 201, child.text
        child_id = child.json()["account_id"]

        changed = await matcher.patch(
            f"/v1/accounts/{child_id}",
            json={
                "name": f"{tag} Automation GmbH",
                "owner": "ann",
                "is_customer": True,
                "domains": [f"{tag}-auto.de"],
            },
        )
        assert changed.status_code == 200, changed.text
        body = changed.json()
        assert (body["version"], body["owner"], body["is_customer"], body["domains"]) == (
            2,
            "ann",
            True,
            [f"{tag}-auto.de"],
        )
        taken = await matcher.patch(f"/v1/accounts/{child_id}", json={"domains": [f"{tag}.com"]})
        assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "domains"
        own_parent = await matcher.patch(f"/v1/accounts/{child_id}", json={"parent_id": child_id})
        assert own_parent.status_code == 422
        assert (await matcher.patch("/v1/accounts/nope", json={"owner": "x"})).status_code == 404
        assert (await matcher.patch(f"/v1/accounts/{child_id}", json={"color": "red"})).status_code == 422

    [row] = await fetch(
        database_url,
        "SELECT name_key, domains, typo_keys FROM matcher.accounts WHERE account_id = $1",
        child_id,
    )
    assert row["name_key"] == f"{tag}automation" and row["domains"] == [f"{tag}-auto.de"]
    # the lead's deletion keys (Python) and the account's (the generated column) are the same function
    assert sorted(row["typo_keys"]) == deletion_keys(row["name_key"]) and len(row["typo_keys"]) > 10
    owned = await fetch(
        database_url, "SELECT domain FROM matcher.account_domains WHERE account_id = $1", child_id
    )
    assert [r["domain"] for r in owned] == [f"{tag}-auto.de"]
    events = await fetch(
        database_url,
        "SELECT headers->>'ce_type' AS type, headers->>'ce_aggregateversion' AS version FROM matcher.outbox"
        " WHERE key = $1 ORDER BY seq",
        child_id,
    )
    assert [(e["type"], e["version"]) for e in events] == [("account.created", "1"), ("account.updated", "2")]
