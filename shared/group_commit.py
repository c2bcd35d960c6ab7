"""Group commit at the door: concurrent requests' work shares one transaction.

Each request hands its work (a use case on a unit of work) and waits for its own outcome, which
it gets only after the commit that made it durable. Nobody waits on a timer: the first request
starts a batch at once, and whoever arrives while a batch commits joins the next one, so a
quiet service answers as fast as before and a busy one commits once for many requests.

A refusal fails only its own request: the batch is rolled back and its items run again, each in
a transaction of its own. Each item runs in its request's context, so its spans and the trace
context of the events it emits are its own.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.errors import Unavailable
from shared.jobs import UowFactory

T = TypeVar("T")
Work = Callable[[Any], Awaitable[T]]


@dataclass
class _Item(Generic[T]):
    work: Work[T]
    context: contextvars.Context
    done: asyncio.Future[T]


class GroupCommit:
    def __init__(self, uows: UowFactory, *, max_items: int = 64) -> None:
        self._uows = uows
        self._max_items = max_items
        self._pending: list[_Item[Any]] = []
        self._draining: asyncio.Task[None] | None = None

    async def __call__(self, work: Work[T]) -> T:
        """Run `work(uow)` in a shared transaction; its result once that has committed."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append(_Item(work, contextvars.copy_context(), done))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        batch: list[_Item[Any]] = []
        try:
            await asyncio.sleep(0)  # requests scheduled in the same loop turn join the first batch
            while self._pending:
                batch, self._pending = self._pending[: self._max_items], self._pending[self._max_items :]
                await self._run(batch)
        except BaseException:  # stopping: nobody may wait forever on work that will not run
            for item in [*batch, *self._pending]:
                _settle(item, exception=Unavailable("The service is stopping; retry.", retry_after=1))
            self._pending = []
            raise

    async def _run(self, batch: list[_Item[Any]]) -> None:
        try:
            async with self._uows() as uow:
                results: list[Any] = [await _within(item, uow) for item in batch]
                await uow.commit()
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0], exception=exc)
                return
            for item in batch:  # alone, each gets its own outcome
                await self._run([item])
            return
        for item, result in zip(batch, results, strict=True):
            _settle(item, result=result)


async def _within(item: _Item[T], uow: Any) -> T:
    """The item's work in its request's context (spans and trace headers its own)."""

    async def work() -> T:
        return await item.work(uow)

    return await asyncio.create_task(work(), context=item.context)


def _settle(item: _Item[Any], *, result: Any = None, exception: BaseException | None = None) -> None:
    if item.done.done():  # the request went away (a client that hung up): its work still stands
        return
    if exception is not None:
        item.done.set_exception(exception)
    else:
        item.done.set_result(result)
