"""Schemathesis against every route of every service, from its own OpenAPI: whatever the
generator sends (valid requests and invalid ones), never a 5xx.

The services run in this process on a database of their own (the fuzzer writes accounts, leads
and opps with random names, which would otherwise land among other tests' data).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from deploy import services
from deploy.services import migrate_all
from shared.app import create_app
from shared.settings import Settings
from tests.conftest import API_KEY, make_settings
from tests.support.infra import PostgresServer

POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
NAMES = ("ingest", "matcher", "opportunity", "scoring", "attribution", "outbound")
PLACEHOLDER = "postgresql+asyncpg://postgres@127.0.0.1:1/none"  # the OpenAPI needs no database


def _schema(name: str) -> Any:
    definition = services.definition(name)
    app = create_app(definition, definition.settings(**make_settings(PLACEHOLDER, "127.0.0.1:1")))
    return schemathesis.openapi.from_dict(app.openapi())


SCHEMAS = {name: _schema(name) for name in NAMES}
OPERATIONS = [
    pytest.param(name, result.ok(), id=f"{name} {result.ok().method.upper()} {result.ok().path}")
    for name, schema in SCHEMAS.items()
    for result in schema.get_all_operations()
    if result.ok().path != "/readyz"  # its contract: 503 while not ready (here: no broker)
]


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def clients(
    postgres: PostgresServer, loop: asyncio.AbstractEventLoop
) -> Iterator[dict[str, httpx.AsyncClient]]:
    url = loop.run_until_complete(postgres.new_database())
    loop.run_until_complete(migrate_all(Settings(database_url=url), list(NAMES)))
    started: list[tuple[FastAPI, Any]] = []
    clients: dict[str, httpx.AsyncClient] = {}
    for name in NAMES:
        definition = services.definition(name)
        app = create_app(
            definition, definition.settings(**make_settings(url, "127.0.0.1:1")), with_kafka=False
        )
        lifespan = app.router.lifespan_context(app)
        loop.run_until_complete(lifespan.__aenter__())
        started.append((app, lifespan))
        clients[name] = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
    yield clients
    for client in clients.values():
        loop.run_until_complete(client.aclose())
    for _, lifespan in reversed(started):
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
    loop.run_until_complete(postgres.drop(url))


async def _send(client: httpx.AsyncClient, case: Any) -> httpx.Response:
    sent = case.as_transport_kwargs(base_url=str(client.base_url))
    headers = {**sent.get("headers", {}), "Authorization": f"Bearer {API_KEY}"}
    body: dict[str, Any] = {}
    if "json" in sent:
        body["json"] = sent["json"]
    elif "data" in sent:
        data = sent["data"]
        body["content" if isinstance(data, bytes | str) else "data"] = data
    try:
        request = client.build_request(
            sent["method"], sent["url"], params=sent.get("params"), headers=headers, **body
        )
    except httpx.InvalidURL:
        # httpx will not build a URL component over 64 KiB: a case this client cannot send.
        reject()
    return await client.send(request)


@pytest.mark.parametrize(("name", "operation"), OPERATIONS)
def test_no_request_gets_a_server_error(
    clients: dict[str, httpx.AsyncClient], loop: asyncio.AbstractEventLoop, name: str, operation: Any
) -> None:
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=st.one_of(operation.as_strategy(POSITIVE), operation.as_strategy(NEGATIVE)))
    def request(case: Any) -> None:
        response = loop.run_until_complete(_send(clients[name], case))
        case.validate_response(response, checks=[not_a_server_error])

    request()
