"""Ingest's API against a real database (no broker needed: events wait in the outbox)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from services.ingest.bootstrap import DEFINITION
from shared.app import create_app
from shared.tables import OutboxRow
from tests.conftest import API_KEY, make_settings


@pytest.fixture
async def ingest(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = DEFINITION.settings(**make_settings(database_url, "127.0.0.1:1"))
    app = create_app(DEFINITION, settings, with_kafka=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ingest", headers={"Authorization": f"Bearer {API_KEY}"}
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def unique_email(domain: str = "acme.com") -> str:
    return f"lead-{uuid.uuid4().hex[:10]}@{domain}"


async def outbox_for(client: httpx.AsyncClient, lead_id: str) -> list[OutboxRow]:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(OutboxRow).where(OutboxRow.key == lead_id).order_by(OutboxRow.seq)
        )
        return list(rows)


async def test_a_lead_is_stored_with_its_event_in_the_outbox(ingest: httpx.AsyncClient) -> None:
    email = unique_email()
    response = await ingest.post(
        "/v1/leads",
        json={
            "email": email.upper(),
            "company": "  Acme   Inc ",
            "website": "https://www.acme.com/x",
            "country": "fr",
        },
    )
    assert response.status_code == 202
    lead_id = response.json()["lead_id"]
    lead = (await ingest.get(f"/v1/leads/{lead_id}")).json()
    assert lead["email"] == email and lead["company"] == "Acme" and lead["company_legal_suffix"] == "Inc"
    assert lead["website_domain"] == "acme.com" and lead["country"] == "FR" and lead["status"] == "new"
    [row] = await outbox_for(ingest, lead_id)
    assert row.topic.endswith("lead.created") and row.payload["email"] == email
    assert row.headers["ce_type"] == "lead.created" and row.headers["ce_aggregateversion"] == "1"


async def test_the_same_email_again_updates_the_lead(ingest: httpx.AsyncClient) -> None:
    email = unique_email()
    first = (await ingest.post("/v1/leads", json={"email": email})).json()
    second = (await ingest.post("/v1/leads", json={"email": email.title(), "title": "CTO"})).json()
    third = (await ingest.post("/v1/leads", json={"email": email, "title": "CTO"})).json()
    assert first["status"] == "created" and second["status"] == "updated" and third["status"] == "unchanged"
    assert first["lead_id"] == second["lead_id"] == third["lead_id"]
    rows = await outbox_for(ingest, first["lead_id"])
    assert [r.headers["ce_type"] for r in rows] == ["lead.created", "lead.updated"]
    assert rows[1].payload["changed"] == {"title": "CTO", "seniority": "c_level", "department": "engineering"}
    found = (await ingest.get("/v1/leads", params={"email": email.upper()})).json()
    assert found["lead_id"] == first["lead_id"] and found["version"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@acme.com", "employees": "many"}, "employees"),
        ({"email": "a@acme.com", "employees": -1}, "employees"),
        ({"email": "a@acme.com", "company": "x" * 300}, "company"),
        ({"email": "a@acme.com", "colour": "blue"}, "colour"),
    ],
)
async def test_bad_leads_get_a_problem_naming_the_field(
    ingest: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    response = await ingest.post("/v1/leads", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_malformed_json_is_a_problem_not_a_crash(ingest: httpx.AsyncClient) -> None:
    response = await ingest.post("/v1/leads", content=b"{nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["title"] == "Invalid request"


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-key-0123456789", "Basic abc"])
async def test_v1_needs_a_valid_api_key(ingest: httpx.AsyncClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with httpx.AsyncClient(
        transport=ingest._transport, base_url="http://ingest", headers=headers
    ) as anonymous:
        response = await anonymous.post("/v1/leads", json={"email": unique_email()})
    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"


async def test_operations_routes_need_no_key(ingest: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(transport=ingest._transport, base_url="http://ingest") as anonymous:
        assert (await anonymous.get("/healthz")).json() == {"status": "ok"}
        ready = await anonymous.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["database"]["ok"] is True
        assert ready.json()["checks"]["broker"]["ok"] is False
        assert (await anonymous.get("/openapi.json")).json()["info"]["title"] == "Cascade ingest"


async def test_an_engagement_of_an_unknown_person_creates_the_lead(ingest: httpx.AsyncClient) -> None:
    email = unique_email("gmail.com")
    body = {
        "email": email,
        "kind": "page_view",
        "url": "https://acme.com/pricing",
        "engagement_id": uuid.uuid4().hex,
    }
    first = await ingest.post("/v1/engagements", json=body)
    again = await ingest.post("/v1/engagements", json=body)
    assert first.status_code == 202 and first.json()["status"] == "recorded"
    assert again.json() == {**first.json(), "status": "duplicate"}
    lead = (await ingest.get("/v1/leads", params={"email": email})).json()
    assert lead["lead_id"] == first.json()["lead_id"] and lead["is_free_mail"] is True
    types = [r.headers["ce_type"] for r in await outbox_for(ingest, lead["lead_id"])]
    assert types == ["lead.created", "engagement.recorded"]


async def test_an_engagement_needs_a_person_and_a_known_kind(ingest: httpx.AsyncClient) -> None:
    assert (await ingest.post("/v1/engagements", json={"kind": "call"})).status_code == 422
    response = await ingest.post("/v1/engagements", json={"email": unique_email(), "kind": "fax"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "kind"
    response = await ingest.post("/v1/engagements", json={"lead_id": "missing", "kind": "call"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "lead_id"


async def test_an_unsubscribe_marks_the_person_unsubscribed(ingest: httpx.AsyncClient) -> None:
    email = unique_email()
    lead_id = (await ingest.post("/v1/leads", json={"email": email, "unsubscribed": False})).json()["lead_id"]
    response = await ingest.post("/v1/engagements", json={"email": email, "kind": "unsubscribe"})
    assert response.status_code == 202
    assert (await ingest.get(f"/v1/leads/{lead_id}")).json()["unsubscribed"] is True
    rows = await outbox_for(ingest, lead_id)
    assert [r.headers["ce_type"] for r in rows] == ["lead.created", "lead.updated", "engagement.recorded"]
    assert rows[1].payload["changed"] == {"unsubscribed": True}
