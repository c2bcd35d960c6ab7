"""Erasure through the four services and the real broker: after `POST /v1/people/erase` no row of
any service's schema holds the person's address or name, the contact stays in its buying group
without them, and neither a replayed webhook nor the API brings them back without consent."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import as_, make_settings
from tests.support import signing
from tests.support.db import fetch
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually

WAIT = 120.0
SCHEMAS = ("ingest", "matcher", "opportunity", "scoring", "attribution")
MAUTIC_SECRET = "mautic-erasure-secret-0123456789"


@pytest.fixture
async def stack(database_url: str, broker: Broker) -> AsyncIterator[InProcessStack]:
    settings = make_settings(database_url, broker.bootstrap, webhook_secrets={"mautic": MAUTIC_SECRET})
    async with InProcessStack(settings) as running:
        await running.wait_connected()
        yield running


async def rows_naming(database_url: str, *needles: str) -> list[str]:
    """Every table row, in every service's schema, whose text (or bytes) holds one of `needles`."""
    tables = await fetch(
        database_url,
        "SELECT t.table_schema, t.table_name, coalesce(array_agg(c.column_name::text)"
        "   FILTER (WHERE c.data_type = 'bytea'), '{}')"
        " FROM information_schema.tables t JOIN information_schema.columns c USING (table_schema, table_name)"
        " WHERE t.table_schema = ANY($1) AND t.table_type = 'BASE TABLE'"
        " GROUP BY 1, 2",
        list(SCHEMAS),
    )
    found = []
    for schema, table, binary in tables:
        in_bytes = "".join(f" OR position(convert_to($2, 'UTF8') IN \"{c}\") > 0" for c in binary)
        for needle in needles:
            sql = f'SELECT count(*) FROM "{schema}"."{table}" t WHERE t::text ILIKE $1{in_bytes}'
            args = (f"%{needle}%", needle) if binary else (f"%{needle}%",)
            [(count,)] = await fetch(database_url, sql, *args)
            if count:
                found.append(f"{schema}.{table} ({needle})")
    return found


def mautic_contact(email: str, contact_id: int, event: str = "mautic.lead_post_save_new") -> bytes:
    core = {"email": {"value": email}, "firstname": {"value": "Zelda"}, "lastname": {"value": "Quist"}}
    record = {
        "contact": {"id": contact_id, "fields": {"core": core}},
        "timestamp": "2026-12-01T10:00:00+00:00",
    }
    return json.dumps({event: [record]}).encode()


async def test_an_erased_person_is_gone_from_every_service_and_stays_gone(
    stack: InProcessStack, database_url: str
) -> None:
    company = f"erasco{uuid.uuid4().hex[:8]}"
    email = f"zelda.quist@{company}.com"
    ingest = stack.client("ingest")
    body = mautic_contact(email, 9001)
    delivered = await ingest.post(
        "/v1/webhooks/mautic", content=body, headers=signing.mautic(MAUTIC_SECRET, body)
    )
    assert delivered.status_code == 200, delivered.text
    lead_id = delivered.json()["items"][0]["lead_id"]
    page = {"email": email, "kind": "page_view", "url": f"https://{company}.com/pricing?who={email}"}
    assert (await ingest.post("/v1/engagements", json=page)).status_code == 202
    match = await converted(stack, lead_id)
    opp = await opp_with(stack, match["account_id"], match["contact_id"])

    held = await rows_naming(database_url, email)
    assert {f"ingest.webhook_deliveries ({email})", f"matcher.contacts ({email})"} <= set(held)
    refused = await ingest.post("/v1/people/erase", json={"email": email}, headers=as_("sam"))
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    erased = await ingest.post("/v1/people/erase", json={"email": email.upper()})
    assert erased.status_code == 202 and erased.json()["lead_ids"] == [lead_id]

    async def gone() -> bool:
        return not await rows_naming(database_url, email, "Quist")

    await eventually(gone, WAIT)
    roles = (await stack.client("opportunity").get(f"/v1/opportunities/{opp['opp_id']}")).json()
    assert match["contact_id"] in [m["contact_id"] for m in roles["contact_roles"]]
    score = (await stack.client("scoring").get(f"/v1/scores/{match['contact_id']}")).json()
    assert score["score"] == 0 and not score.get("behaviour_reasons")

    for delivery in (body, mautic_contact(email, 9001, "mautic.lead_post_save_update")):
        sent = await ingest.post(
            "/v1/webhooks/mautic", content=delivery, headers=signing.mautic(MAUTIC_SECRET, delivery)
        )
        assert sent.status_code == 200 and sent.json()["items"][0]["status"] in ("created", "erased")
    assert sent.json()["items"][0]["status"] == "erased"  # the first is a redelivery: answered as before
    again = await ingest.post("/v1/leads", json={"email": email, "first_name": "Zelda"})
    assert again.status_code == 409 and again.json()["reason"] == "erased"
    assert not await rows_naming(database_url, email, "Quist")

    consented = await ingest.post("/v1/leads", json={"email": email, "marketing_consent": True})
    assert consented.status_code == 202 and consented.json()["lead_id"] != lead_id


async def converted(stack: InProcessStack, lead_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        match = (await stack.client("matcher").get(f"/v1/leads/{lead_id}/match")).json()
        return match if match["status"] in ("matched", "account_created") else None

    return await eventually(done, WAIT)


async def opp_with(stack: InProcessStack, account_id: str, contact_id: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        params = {"account_id": account_id}
        opps = (await stack.client("opportunity").get("/v1/opportunities", params=params)).json()
        return next((o for o in opps if contact_id in [m["contact_id"] for m in o["contact_roles"]]), None)

    return await eventually(found, WAIT)
