"""MAP webhooks end to end against a real database: signatures, replays, batches, quarantine."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.ingest.adapters.tables import WebhookDelivery
from services.ingest.bootstrap import DEFINITION
from shared.app import create_app
from shared.tables import OutboxRow
from tests.conftest import API_KEY, make_settings
from tests.support import signing
from tests.support.hubspot_api import HUBSPOT_TOKEN, HubSpotApi, serve_hubspot

FIXTURES = Path(__file__).parents[1] / "fixtures" / "webhooks"


@pytest.fixture(scope="module")
def hubspot_api() -> Iterator[str]:
    with serve_hubspot() as url:
        yield url


SECRETS = {
    "hubspot": ["hubspot-old-secret", "hubspot-client-secret"],
    "marketo": "marketo-shared-secret",
    "mautic": "mautic-webhook-secret",
    "salesforce": "00D5g000004Ab1c",
    "generic": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
}


@pytest.fixture
async def ingest(fresh_database_url: str, hubspot_api: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = DEFINITION.settings(
        **make_settings(fresh_database_url, "127.0.0.1:1"),
        webhook_secrets=SECRETS,
        hubspot_access_token=HUBSPOT_TOKEN,
        hubspot_api_base=hubspot_api,
        webhook_max_body_bytes=64 * 1024,
    )
    app = create_app(DEFINITION, settings, with_kafka=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ingest", headers={"Authorization": f"Bearer {API_KEY}"}
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def scalar(client: httpx.AsyncClient, query: Any) -> Any:
    async with client.app.state.runtime.sessions() as session:  # type: ignore[attr-defined]
        return await session.scalar(query)


async def events(client: httpx.AsyncClient) -> list[str]:
    async with client.app.state.runtime.sessions() as session:  # type: ignore[attr-defined]
        rows = await session.scalars(select(OutboxRow).order_by(OutboxRow.seq))
        return [row.headers["ce_type"] for row in rows]


async def post_hubspot(
    client: httpx.AsyncClient, body: bytes, secret: str = "hubspot-client-secret"
) -> httpx.Response:
    headers = signing.hubspot(secret, "http://ingest/v1/webhooks/hubspot", body)
    return await client.post("/v1/webhooks/hubspot", content=body, headers=headers)


async def post_generic(client: httpx.AsyncClient, body: bytes, msg_id: str) -> httpx.Response:
    headers = signing.standard(SECRETS["generic"], msg_id, body)
    return await client.post("/v1/webhooks/generic", content=body, headers=headers)


async def test_hubspot_workflow_contact_is_normalised_and_a_replay_answers_the_same(
    ingest: httpx.AsyncClient,
) -> None:
    body = fixture("hubspot_workflow.json")
    headers = signing.hubspot("hubspot-old-secret", "http://ingest/v1/webhooks/hubspot", body)  # rotation
    first = await ingest.post("/v1/webhooks/hubspot", content=body, headers=headers)
    assert first.status_code == 200, first.text
    [item] = first.json()["items"]
    assert item["outcome"] == "accepted" and item["status"] == "created"
    lead = (await ingest.get(f"/v1/leads/{item['lead_id']}")).json()
    assert lead["email"] == "grace.hopper@navy-labs.com" and lead["company"] == "Navy Labs"
    assert lead["company_legal_suffix"] == "Inc" and lead["website_domain"] == "navy-labs.com"
    assert lead["phone"] == "+14155552671" and lead["country"] == "US" and lead["employees"] == 500
    assert lead["seniority"] == "vp" and lead["department"] == "engineering"
    assert lead["unsubscribed"] is False and lead["source"] == "hubspot" and lead["source_id"] == "5101"

    replay = await ingest.post("/v1/webhooks/hubspot", content=body, headers=headers)
    assert replay.status_code == 200 and replay.json() == first.json()
    assert await events(ingest) == ["lead.created"]


async def test_hubspot_events_fetch_created_contacts_and_apply_property_changes(
    ingest: httpx.AsyncClient,
) -> None:
    body = fixture("hubspot_events.json")
    response = await post_hubspot(ingest, body)
    assert response.status_code == 200, response.text
    created, changed, unknown = response.json()["items"]
    assert created["outcome"] == "accepted" and created["item_id"] == "62515:4200:1001:7001:1763900000000"
    assert changed["outcome"] == "accepted" and changed["lead_id"] == created["lead_id"]
    assert unknown["outcome"] == "rejected" and "no contact 7002" in unknown["reason"]
    lead = (await ingest.get(f"/v1/leads/{created['lead_id']}")).json()
    assert lead["email"] == "katherine@orbital-mechanics.com" and lead["title"] == "Chief Technology Officer"
    assert lead["seniority"] == "c_level" and lead["company"] == "Orbital Mechanics"

    # HubSpot's retry carries a new attemptNumber (other bytes, new signature): nothing new is created.
    retried = json.dumps([{**event, "attemptNumber": 1} for event in json.loads(body)]).encode()
    again = await post_hubspot(ingest, retried)
    assert [item["outcome"] for item in again.json()["items"]] == ["duplicate"] * 3
    assert again.json()["items"][0]["lead_id"] == created["lead_id"]
    assert await events(ingest) == ["lead.created", "lead.updated"]


async def test_a_property_change_follows_the_person_to_a_new_email(ingest: httpx.AsyncClient) -> None:
    await post_hubspot(ingest, fixture("hubspot_events.json"))
    change = [
        {"eventId": 2001, "subscriptionType": "contact.propertyChange", "objectId": 7001,
         "propertyName": "email", "propertyValue": "k.johnson@orbital-mechanics.com", "attemptNumber": 0}
    ]  # fmt: skip
    [item] = (await post_hubspot(ingest, json.dumps(change).encode())).json()["items"]
    assert item["outcome"] == "accepted" and item["status"] == "updated"
    found = (await ingest.get("/v1/leads", params={"email": "k.johnson@orbital-mechanics.com"})).json()
    assert found["lead_id"] == item["lead_id"]
    gone = await ingest.get("/v1/leads", params={"email": "katherine@orbital-mechanics.com"})
    assert gone.status_code == 404


@pytest.mark.parametrize(
    "tamper",
    ["body", "secret", "stale", "missing"],
)
async def test_unauthenticated_hubspot_deliveries_are_401_and_store_nothing(
    ingest: httpx.AsyncClient, tamper: str
) -> None:
    body = fixture("hubspot_workflow.json")
    uri = "http://ingest/v1/webhooks/hubspot"
    headers = signing.hubspot("wrong" if tamper == "secret" else "hubspot-client-secret", uri, body,
                              at=time.time() - 360 if tamper == "stale" else None)  # fmt: skip
    if tamper == "missing":
        headers = {"Content-Type": "application/json"}
    sent = body.replace(b"Grace", b"Mallory") if tamper == "body" else body
    response = await ingest.post("/v1/webhooks/hubspot", content=sent, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert await scalar(ingest, select(func.count()).select_from(WebhookDelivery)) == 0
    assert await events(ingest) == []


async def test_marketo_default_template_records_the_lead_and_its_form_fill(ingest: httpx.AsyncClient) -> None:
    body = fixture("marketo_default.json")
    wrong = await ingest.post("/v1/webhooks/marketo", content=body, headers={
        "Content-Type": "application/json", "X-Cascade-Secret": "guess"})  # fmt: skip
    assert wrong.status_code == 401
    response = await ingest.post("/v1/webhooks/marketo", content=body, headers={
        "Content-Type": "application/json", "X-Cascade-Secret": SECRETS["marketo"]})  # fmt: skip
    lead, form = response.json()["items"]
    assert lead["outcome"] == form["outcome"] == "accepted" and form["status"] == "recorded"
    stored = (await ingest.get(f"/v1/leads/{lead['lead_id']}")).json()
    assert stored["country"] == "GB" and stored["phone"] == "+442071838750" and stored["employees"] == 250
    assert await events(ingest) == ["lead.created", "engagement.recorded"]


async def test_mautic_batch_items_are_judged_alone_and_the_bad_one_can_be_fixed(
    ingest: httpx.AsyncClient,
) -> None:
    body = fixture("mautic_batch.json")
    headers = signing.mautic(SECRETS["mautic"], body)
    response = await ingest.post("/v1/webhooks/mautic", content=body, headers=headers)
    outcomes = [item["outcome"] for item in response.json()["items"]]
    assert outcomes == ["accepted", "accepted", "accepted", "rejected"]
    lead_id = response.json()["items"][0]["lead_id"]
    assert {item["lead_id"] for item in response.json()["items"][:3]} == {lead_id}
    rejected = response.json()["items"][3]
    assert rejected["field"] == "email" and rejected["quarantine_id"]

    [held] = (await ingest.get("/v1/quarantine", params={"source": "mautic"})).json()
    assert held["quarantine_id"] == rejected["quarantine_id"] and held["payload"]["hit"]["id"] == 55121
    still_bad = await ingest.post(f"/v1/quarantine/{held['quarantine_id']}/resubmit", json={})
    assert still_bad.status_code == 422 and still_bad.json()["errors"][0]["field"] == "email"
    fixed = {**held["payload"], "hit": {**held["payload"]["hit"], "lead": {"id": 999, "fields": {
        "core": {"email": {"value": "visitor@kernel-works.io"}}}}}}  # fmt: skip
    resubmitted = await ingest.post(
        f"/v1/quarantine/{held['quarantine_id']}/resubmit", json={"payload": fixed}
    )
    assert resubmitted.status_code == 200 and resubmitted.json()[0]["outcome"] == "accepted"
    assert (await ingest.get("/v1/quarantine", params={"source": "mautic"})).json() == []
    [done] = (await ingest.get("/v1/quarantine", params={"source": "mautic", "status": "resubmitted"})).json()
    assert done["resubmitted_payload"] == fixed and done["payload"] == held["payload"] and done["lead_id"]
    assert done["resolved_by"] == "api"  # the caller: the test's key is named `api`
    assert (await ingest.post(f"/v1/quarantine/{held['quarantine_id']}/resubmit", json={})).status_code == 409

    replay = await ingest.post("/v1/webhooks/mautic", content=body, headers=headers)
    assert replay.json() == response.json()
    assert (await events(ingest)).count("engagement.recorded") == 3


async def test_salesforce_outbound_message_gets_its_ack_and_dedupes_notifications(
    ingest: httpx.AsyncClient,
) -> None:
    body = fixture("salesforce_outbound.xml")
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
    response = await ingest.post("/v1/webhooks/salesforce", content=body, headers=headers)
    assert response.status_code == 200 and "<Ack>true</Ack>" in response.text
    assert response.headers["content-type"].startswith("text/xml")
    found = (await ingest.get("/v1/leads", params={"email": "peter.gibbons@initech.de"})).json()
    assert found["company"] == "Initech" and found["phone"] == "+49301234567" and found["employees"] == 1200
    [held] = (await ingest.get("/v1/quarantine", params={"source": "salesforce"})).json()
    assert held["item_key"] == "04l5g00000AbCdFAAV" and held["field"] == "email"

    # Salesforce resends the same notifications in a new message until it sees the Ack.
    resent = body.replace(b"<ActionId>", b"<!-- retry --><ActionId>")
    again = await ingest.post("/v1/webhooks/salesforce", content=resent, headers=headers)
    assert "<Ack>true</Ack>" in again.text
    assert await events(ingest) == ["lead.created"]
    assert len((await ingest.get("/v1/quarantine", params={"source": "salesforce"})).json()) == 1

    other_org = body.replace(b"00D5g000004Ab1cEAC", b"00D000000000001AAA")
    refused = await ingest.post("/v1/webhooks/salesforce", content=other_org, headers=headers)
    assert refused.status_code == 401


async def test_generic_mixed_batch_and_webhook_id_replay(ingest: httpx.AsyncClient) -> None:
    body = fixture("generic.json")
    response = await post_generic(ingest, body, "msg_2Lh9")
    assert response.status_code == 200
    lead, download, junk = response.json()["items"]
    assert lead["outcome"] == "accepted" and download["outcome"] == "accepted"
    assert download["lead_id"] == lead["lead_id"] and download["status"] == "recorded"
    assert junk["outcome"] == "rejected" and junk["field"] == "email"
    assert response.json()["accepted"] == 2 and response.json()["rejected"] == 1
    replay = await post_generic(ingest, body, "msg_2Lh9")
    assert replay.json() == response.json()
    assert await events(ingest) == ["lead.created", "engagement.recorded"]


async def test_same_email_from_two_sources_is_one_person(ingest: httpx.AsyncClient) -> None:
    generic_body = json.dumps({"email": "Peter.Gibbons@initech.de", "title": "Team Lead"}).encode()
    await ingest.post("/v1/webhooks/salesforce", content=fixture("salesforce_outbound.xml"),
                      headers={"Content-Type": "text/xml"})  # fmt: skip
    [item] = (await post_generic(ingest, generic_body, "msg_x")).json()["items"]
    assert item["status"] == "updated"
    assert await events(ingest) == ["lead.created", "lead.updated"]


@pytest.mark.parametrize(
    ("path", "content_type", "body", "status"),
    [
        ("/v1/webhooks/pardot", "application/json", b"{}", 404),
        ("/v1/webhooks/mautic", "text/plain", b"{}", 415),
        ("/v1/webhooks/salesforce", "application/json", b"{}", 415),
        ("/v1/webhooks/mautic", "application/json", b"{" + b" " * 70_000 + b"}", 413),
    ],
)
async def test_requests_a_retry_cannot_fix_get_4xx(
    ingest: httpx.AsyncClient, path: str, content_type: str, body: bytes, status: int
) -> None:
    response = await ingest.post(path, content=body, headers={"Content-Type": content_type})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_unreadable_authenticated_body_is_400_and_kept_in_quarantine(
    ingest: httpx.AsyncClient,
) -> None:
    body = b'{"mautic.lead_post_save_new": [ {"contact": '
    response = await ingest.post(
        "/v1/webhooks/mautic", content=body, headers=signing.mautic(SECRETS["mautic"], body)
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "body"
    [held] = (await ingest.get("/v1/quarantine", params={"source": "mautic"})).json()
    assert held["payload"]["body"] == body.decode() and held["field"] == "body"


async def test_webhooks_need_no_api_key_but_quarantine_does(ingest: httpx.AsyncClient) -> None:
    body = json.dumps({"email": "nokey@acme-rockets.com"}).encode()
    headers = {**signing.standard(SECRETS["generic"], "msg_nokey", body), "Authorization": ""}
    assert (await ingest.post("/v1/webhooks/generic", content=body, headers=headers)).status_code == 200
    assert (await ingest.get("/v1/quarantine", headers={"Authorization": ""})).status_code == 401


async def test_over_the_in_flight_limit_senders_get_429_with_retry_after(
    fresh_database_url: str, hubspot_api: str
) -> None:
    settings = DEFINITION.settings(
        **make_settings(fresh_database_url, "127.0.0.1:1"),
        webhook_secrets=SECRETS,
        hubspot_access_token=HUBSPOT_TOKEN,
        hubspot_api_base=hubspot_api,
        webhook_max_in_flight=1,
    )
    app = create_app(DEFINITION, settings, with_kafka=False)
    HubSpotApi.delay = 1.0
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client,
        ):
            slow = asyncio.create_task(post_hubspot(client, fixture("hubspot_events.json")))
            await asyncio.sleep(0.3)
            busy = await post_generic(client, b'{"email": "x@acme-rockets.com"}', "msg_busy")
            assert busy.status_code == 429 and busy.headers["retry-after"] == "1"
            assert (await slow).status_code == 200
    finally:
        HubSpotApi.delay = 0.0


async def test_when_the_database_is_unreachable_senders_get_503_with_retry_after() -> None:
    settings = DEFINITION.settings(
        **make_settings("postgresql+asyncpg://postgres@127.0.0.1:1/gone", "127.0.0.1:1"),
        webhook_secrets=SECRETS,
    )
    app = create_app(DEFINITION, settings, with_kafka=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client,
    ):
        response = await post_generic(client, b'{"email": "later@acme-rockets.com"}', "msg_later")
    assert response.status_code == 503 and response.headers["retry-after"] == "5"


async def test_with_a_url_token_salesforce_needs_it_besides_the_organization(
    fresh_database_url: str,
) -> None:
    settings = DEFINITION.settings(
        **make_settings(fresh_database_url, "127.0.0.1:1"),
        webhook_secrets=SECRETS,
        salesforce_url_token="sf-url-token-0123456789",
    )
    app = create_app(DEFINITION, settings, with_kafka=False)
    headers = {"Content-Type": "text/xml"}
    body = fixture("salesforce_outbound.xml")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client,
    ):
        forged = await client.post("/v1/webhooks/salesforce", content=body, headers=headers)
        wrong = await client.post("/v1/webhooks/salesforce?token=guess", content=body, headers=headers)
        right = await client.post(
            "/v1/webhooks/salesforce?token=sf-url-token-0123456789", content=body, headers=headers
        )
    assert forged.status_code == wrong.status_code == 401 and "token" in forged.json()["detail"]
    assert right.status_code == 200 and "<Ack>true</Ack>" in right.text


async def test_a_senders_engagement_id_dedupes_across_deliveries(ingest: httpx.AsyncClient) -> None:
    meeting = json.dumps(
        {"email": "ceo@acme-rockets.com", "kind": "meeting", "engagement_id": "mtg-42"}
    ).encode()
    first = (await post_generic(ingest, meeting, "msg_a")).json()["items"][0]
    again = (await post_generic(ingest, meeting, "msg_b")).json()["items"][0]
    assert first["outcome"] == "accepted" and first["status"] == "recorded"
    assert again["outcome"] == "duplicate" and again["lead_id"] == first["lead_id"]
    assert (await events(ingest)).count("engagement.recorded") == 1
