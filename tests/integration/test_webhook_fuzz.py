"""Hypothesis against the raw webhook endpoint: never a 5xx, and nothing accepted goes missing.

Bodies are correctly signed (so they reach the parsers) and range from random bytes through
arbitrary JSON to lead-shaped records with hostile values. Each answer is checked against the
database: an accepted item's lead exists, a rejected one sits in quarantine.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from services.ingest.bootstrap import DEFINITION
from shared.app import create_app
from tests.conftest import API_KEY, make_settings
from tests.support import signing

SECRETS = {"generic": "fuzz-generic-secret", "mautic": "fuzz-mautic-secret"}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=40),
    st.text(min_size=250, max_size=3000),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
emails = st.one_of(
    st.emails(),
    st.builds(lambda local: f"{local}@fuzz-corp.com", st.from_regex(r"[a-z]{1,12}", fullmatch=True)),
    st.text(max_size=30),
)
lead_records = st.fixed_dictionaries(
    {"email": emails},
    optional={
        "first_name": scalars,
        "title": scalars,
        "company": scalars,
        "country": scalars,
        "phone": scalars,
        "website": scalars,
        "employees": st.one_of(scalars, st.sampled_from(["25-50", "1000+", "10k", "many"])),
        "unsubscribed": scalars,
        "kind": st.one_of(st.sampled_from(["page_view", "form_submit", "webinar_attended"]), scalars),
        "occurred_at": st.one_of(st.datetimes().map(lambda d: d.isoformat()), scalars),
        "properties": json_values,
    },
)
generic_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    lead_records.map(lambda r: json.dumps(r).encode()),
    st.lists(lead_records, min_size=1, max_size=5).map(lambda rs: json.dumps({"data": rs}).encode()),
)
mautic_bodies = st.dictionaries(
    st.sampled_from(["mautic.lead_post_save_new", "mautic.form_on_submit", "mautic.page_on_hit", "mautic.x"]),
    st.lists(
        st.dictionaries(st.sampled_from(["contact", "submission", "hit", "lead", "timestamp"]), json_values)
    ),
    max_size=3,
).map(lambda v: json.dumps(v).encode())


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def ingest(database_url: str, loop: asyncio.AbstractEventLoop) -> Iterator[httpx.AsyncClient]:
    app = create_app(
        DEFINITION,
        DEFINITION.settings(**make_settings(database_url, "127.0.0.1:1"), webhook_secrets=SECRETS),
        with_kafka=False,
    )
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://ingest",
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    yield client
    loop.run_until_complete(client.aclose())
    loop.run_until_complete(lifespan.__aexit__(None, None, None))


async def _check(client: httpx.AsyncClient, source: str, body: bytes) -> None:
    if source == "generic":
        headers = signing.standard(SECRETS["generic"], f"msg_{uuid.uuid4().hex}", body)
    else:
        headers = signing.mautic(SECRETS["mautic"], body)
    response = await client.post(f"/v1/webhooks/{source}", content=body, headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "body"
        return
    answer: dict[str, Any] = response.json()
    assert answer["accepted"] + answer["rejected"] + answer["duplicates"] == len(answer["items"])
    for item in answer["items"]:
        if item["outcome"] == "accepted" and item["lead_id"]:
            assert (await client.get(f"/v1/leads/{item['lead_id']}")).status_code == 200
        if item["outcome"] == "rejected":
            assert item["reason"] and item["quarantine_id"]


# No shrinking: a failure prints its example at once instead of minutes of minimising in CI.
common = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


@common
@given(body=generic_bodies)
def test_generic_webhooks_never_fail_and_lose_nothing(
    ingest: httpx.AsyncClient, loop: asyncio.AbstractEventLoop, body: bytes
) -> None:
    loop.run_until_complete(_check(ingest, "generic", body))


@common
@given(body=mautic_bodies)
def test_mautic_webhooks_never_fail_and_lose_nothing(
    ingest: httpx.AsyncClient, loop: asyncio.AbstractEventLoop, body: bytes
) -> None:
    loop.run_until_complete(_check(ingest, "mautic", body))
