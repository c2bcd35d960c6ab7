"""Keys with roles on a running service: who may read, write, administer webhooks or erase, and
the key's name (or the console's person) as the actor of what it changes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from services.ingest.bootstrap import DEFINITION
from shared.app import create_app
from shared.keys import digest
from tests.conftest import make_settings

KEYS = {
    role: f"{role}-key-{uuid.uuid4().hex}" for role in ("read", "write", "webhook-admin", "console", "admin")
}


@pytest.fixture
async def ingest(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    entries = [f"{role}-bot:{role}=sha256:{digest(key)}" for role, key in KEYS.items()]
    settings = DEFINITION.settings(**make_settings(database_url, "127.0.0.1:1", api_keys=entries))
    app = create_app(DEFINITION, settings, with_kafka=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client,
    ):
        yield client


def as_role(role: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}", **more}


async def test_each_role_does_what_it_may_and_is_told_what_it_lacks(ingest: httpx.AsyncClient) -> None:
    lead = {"email": f"roles-{uuid.uuid4().hex[:8]}@roles-example.com"}
    assert (await ingest.post("/v1/leads", json=lead)).status_code == 401
    assert (
        await ingest.post("/v1/leads", json=lead, headers={"Authorization": "Bearer nope"})
    ).status_code == 401
    refused = await ingest.post("/v1/leads", json=lead, headers=as_role("read"))
    assert refused.status_code == 403 and "write" in refused.json()["detail"]
    assert (await ingest.get("/v1/leads", params=lead, headers=as_role("read"))).status_code == 404
    assert (await ingest.post("/v1/leads", json=lead, headers=as_role("write"))).status_code == 202

    resubmit = f"/v1/quarantine/{uuid.uuid4()}/resubmit"
    forbidden = await ingest.post(resubmit, json={}, headers=as_role("write"))
    assert forbidden.status_code == 403 and "webhook-admin" in forbidden.json()["detail"]
    assert (await ingest.post(resubmit, json={}, headers=as_role("webhook-admin"))).status_code == 404

    for role in ("write", "webhook-admin", "console"):
        erase = await ingest.post("/v1/people/erase", json=lead, headers=as_role(role))
        assert erase.status_code == 403 and "admin" in erase.json()["detail"]
    assert (await ingest.post("/v1/people/erase", json=lead, headers=as_role("admin"))).status_code == 202
