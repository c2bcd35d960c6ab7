"""Limits at the door of every service: a body over its limit gets 413 before it is read whole, a
NUL in a path, a query or a JSON body's string gets 422 (PostgreSQL's text cannot hold one)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import problem


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The body is over {limit} bytes.")
        self.limit = limit


class Limits:
    """ASGI middleware. A body is read here up to its limit and handed on whole (FastAPI would
    turn a failure while it parses into a 400); a route that streams a bulk body (`streamed`) reads
    it itself and is stopped by `BodyTooLarge` past its limit."""

    def __init__(self, app: ASGIApp, limit: int, streamed: Callable[[str], int | None]) -> None:
        self.app = app
        self.limit = limit
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        bulk = self.streamed(scope["path"])
        refused = _refused(scope, bulk or self.limit)
        if refused is None and bulk is not None:
            await self.app(scope, _counting(receive, bulk), send)
            return
        body = await _read(receive, self.limit) if refused is None else None
        if refused is None and body is None:
            refused = problem(413, "Content Too Large", f"The body is over {self.limit} bytes.")
        elif refused is None and body is not None and _holds_nul(body):
            refused = _nul("body")
        if refused is not None:
            await refused(scope, receive, send)
            return
        assert body is not None
        await self.app(scope, _replay(body, receive), send)


async def _read(receive: Receive, limit: int) -> bytes | None:
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _refused(scope: Scope, limit: int) -> Any:
    query = scope.get("query_string", b"").decode("latin-1")
    for where, text in (("path", scope["path"]), ("query", unquote(query))):
        if "\x00" in text:
            return _nul(where)
    declared = dict(scope.get("headers", [])).get(b"content-length", b"")
    if declared.isdigit() and int(declared) > limit:
        return problem(413, "Content Too Large", f"The body is over {limit} bytes.")
    return None


# A JSON string's \u0000 escape, not an escaped backslash followed by "u0000".
ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _holds_nul(body: bytes) -> bool:
    return b"\\u0000" in body and ESCAPED_NUL.search(body) is not None


def _nul(where: str) -> Any:
    reason = "NUL characters are not allowed"
    return problem(422, "Invalid request", f"{where}: {reason}", errors=[{"field": where, "reason": reason}])


def _counting(receive: Receive, limit: int) -> Receive:
    """A receive that stops a body whose declared length lied, or that had none (chunked)."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return counted
