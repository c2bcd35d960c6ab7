"""Group commit against an in-memory unit of work: shared commits, isolated refusals, own contexts."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from shared.errors import Invalid
from shared.group_commit import GroupCommit
from tests.support.fakes import FakeUnitOfWork

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


class Uows:
    def __init__(self) -> None:
        self.opened: list[FakeUnitOfWork] = []

    def __call__(self) -> FakeUnitOfWork:
        uow = FakeUnitOfWork()
        self.opened.append(uow)
        return uow


def stored(name: str, *, refuse: bool = False) -> Any:
    async def work(uow: FakeUnitOfWork) -> str:
        uow.seen = [*getattr(uow, "seen", []), name]  # type: ignore[attr-defined]
        if refuse:
            raise Invalid(f"{name} refused", field="email")
        return f"{name} as {WHO.get()}"

    return work


async def request(group: GroupCommit, name: str, **kwargs: Any) -> str:
    WHO.set(name)
    return await group(stored(name, **kwargs))


async def test_concurrent_requests_share_one_commit_and_each_gets_its_own_result() -> None:
    uows = Uows()
    group = GroupCommit(uows)
    results = await asyncio.gather(*(request(group, f"r{n}") for n in range(10)))
    assert results == [f"r{n} as r{n}" for n in range(10)]  # each ran in its request's context
    assert [u.commits for u in uows.opened] == [1]


async def test_a_refusal_fails_only_its_own_request() -> None:
    uows = Uows()
    group = GroupCommit(uows)
    outcomes = await asyncio.gather(
        request(group, "a"), request(group, "b", refuse=True), request(group, "c"), return_exceptions=True
    )
    assert outcomes[0] == "a as a" and outcomes[2] == "c as c"
    assert isinstance(outcomes[1], Invalid)
    # the batch rolled back, then each alone: the good ones committed, the refused one did not
    assert [u.commits for u in uows.opened] == [0, 1, 0, 1]


async def test_a_batch_is_bounded_and_a_quiet_request_is_not_kept_waiting() -> None:
    uows = Uows()
    group = GroupCommit(uows, max_items=4)
    await asyncio.gather(*(request(group, f"r{n}") for n in range(10)))
    assert [len(u.seen) for u in uows.opened] == [4, 4, 2]  # type: ignore[attr-defined]
    assert await request(group, "alone") == "alone as alone"


async def test_work_pending_when_the_service_stops_is_refused_not_left_hanging() -> None:
    release = asyncio.Event()

    async def slow(uow: FakeUnitOfWork) -> str:
        await release.wait()
        return "never"

    group = GroupCommit(Uows())
    waiting = [asyncio.ensure_future(group(slow)) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert group._draining is not None
    group._draining.cancel()
    for future in waiting:
        with pytest.raises(Exception, match="stopping"):
            await future
