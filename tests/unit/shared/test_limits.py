"""The door's limits on a bare app: what gets through whole, and what is refused before a route."""

from __future__ import annotations

import json

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.limits import BodyTooLarge, Limits


async def echo(request: Request) -> JSONResponse:
    try:
        body = await request.body()
    except BodyTooLarge:
        return JSONResponse({"stopped": True}, status_code=413)
    return JSONResponse({"size": len(body)})


def client(limit: int = 100, bulk: int = 1000) -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])
    limited = Limits(app, limit, lambda path: bulk if path.startswith("/bulk") else None)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=limited), base_url="http://t")


async def test_a_body_within_its_limit_reaches_the_route_whole() -> None:
    async with client() as c:
        assert (await c.post("/x", content=b"a" * 100)).json() == {"size": 100}
        assert (await c.post("/bulk", content=b"a" * 1000)).json() == {"size": 1000}


async def test_a_body_over_its_limit_is_refused_with_413() -> None:
    async with client() as c:
        assert (await c.post("/x", content=b"a" * 101)).status_code == 413

        async def chunked():  # type: ignore[no-untyped-def]
            for _ in range(11):
                yield b"a" * 100

        assert (await c.post("/bulk", content=chunked())).json() == {"stopped": True}


async def test_nul_in_a_path_a_query_or_a_json_string_is_refused_naming_where() -> None:
    async with client(limit=10_000) as c:
        for response, where in (
            (await c.get("/a%00b"), "path"),
            (await c.get("/x", params={"q": "a\x00"}), "query"),
            (await c.post("/x", content=json.dumps({"name": "a\x00b"})), "body"),
        ):
            assert response.status_code == 422 and response.json()["errors"][0]["field"] == where
        escaped = json.dumps({"path": "C:\\u0000"})  # a backslash then "u0000": no NUL
        assert (await c.post("/x", content=escaped)).status_code == 200
