"""The services running inside the test's event loop, each with its own runtime."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI

from deploy import services
from shared.app import create_app
from shared.runtime import Runtime

T = TypeVar("T")


class InProcessStack:
    def __init__(self, settings: dict[str, Any], names: tuple[str, ...] = tuple(services.PORTS)) -> None:
        self.settings = settings
        self.names = names
        self.apps: dict[str, FastAPI] = {}
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._exit = AsyncExitStack()

    async def __aenter__(self) -> InProcessStack:
        for name in self.names:
            await self.start(name)
        return self

    async def start(self, name: str) -> None:
        definition = services.definition(name)
        app = create_app(definition, definition.settings(**self.settings))
        stack = AsyncExitStack()
        await stack.enter_async_context(app.router.lifespan_context(app))
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=f"http://{name}",
            headers={"Authorization": f"Bearer {self.settings['api_keys'][0]}"},
        )
        await stack.enter_async_context(client)
        self._exit.push_async_callback(stack.aclose)
        self.apps[name], self._clients[name] = app, client

    def client(self, name: str) -> httpx.AsyncClient:
        return self._clients[name]

    def runtime(self, name: str) -> Runtime:
        runtime: Runtime = self.apps[name].state.runtime
        return runtime

    async def wait_connected(self, timeout: float = 120.0) -> None:
        await eventually(lambda: _all_connected([self.runtime(n) for n in self.names]), timeout)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._exit.aclose()


async def _all_connected(runtimes: list[Runtime]) -> bool:
    return all(r.broker_connected and (r.consumer is None or r.consumer.assigned()) for r in runtimes)


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 180.0, interval: float = 0.1) -> T:
    """Poll `check` until it returns something truthy; fail with its last value after `timeout`."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"not true after {timeout}s; last value: {last!r}")
