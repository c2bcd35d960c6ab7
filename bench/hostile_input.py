"""What hostile input costs: CPU per webhook delivery and per normaliser call, next to typical
input in the same run.

- deliveries: ingest runs in this process on a migrated scratch database (no broker); each of
  the five webhook sources gets its own lead shape, signed, carrying the values of
  `tests/support/hostile.py` (100,000-character strings, 5,000 spaces, mixed scripts, NUL, lone
  surrogates, 5,000 digits) in every field, JSON nested 50 and 100,000 deep, and a 4,000-digit
  number; and the same number of typical leads. Each delivery's CPU is the event loop thread's
  (`thread_time`): what a delivery takes from every other request the process serves. Each is
  posted R times.
- normalisers: each normaliser on each hostile value, and on a typical value.
Prints one line: the worst and the median per hostile delivery and per typical one, and the same
for the normalisers.

    python bench/hostile_input.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from services.ingest.bootstrap import DEFINITION, MIGRATIONS
from services.ingest.settings import SOURCES
from shared.migrate import migrate
from tests.support.hostile import (
    NASTY,
    NORMALISERS,
    TYPICAL,
    hostile_bodies,
    ingest_in_process,
    signed,
    typical_bodies,
)
from tests.support.infra import PostgresServer


async def _cpu_ms(client: httpx.AsyncClient, source: str, body: bytes) -> float:
    started = time.thread_time()
    response = await client.post(f"/v1/webhooks/{source}", content=body, headers=signed(source, body))
    spent = (time.thread_time() - started) * 1000
    if response.status_code >= 500:
        raise SystemExit(f"{source}: {response.status_code} {response.text[:200]}")
    return spent


async def deliveries(url: str, rounds: int) -> str:
    hostile: list[tuple[float, str]] = []
    typical: list[float] = []
    async with ingest_in_process(url) as client:
        for source in SOURCES:
            bodies = hostile_bodies(source)
            for body in typical_bodies(source, 3):  # warm each source's path before timing it
                await _cpu_ms(client, source, body)
            for _ in range(rounds):
                for body in bodies:
                    hostile.append((await _cpu_ms(client, source, body), source))
                for body in typical_bodies(source, len(bodies)):
                    typical.append(await _cpu_ms(client, source, body))
    worst, where = max(hostile)
    return (
        f"{len(hostile)} hostile deliveries: CPU p50 {statistics.median(c for c, _ in hostile):.1f} ms,"
        f" worst {worst:.1f} ms ({where}); {len(typical)} typical: p50 {statistics.median(typical):.1f} ms,"
        f" worst {max(typical):.1f} ms"
    )


def _call_ms(call: Callable[[Any], Any], value: Any) -> float:
    started = time.thread_time()
    with contextlib.suppress(ValueError, RecursionError):
        call(value)
    return (time.thread_time() - started) * 1000


def normalisers(rounds: int) -> str:
    for call in NORMALISERS:  # the first call loads what a normaliser reads once (word lists)
        _call_ms(call, TYPICAL["company"])
    hostile = [
        (_call_ms(call, value), getattr(call, "__name__", "lambda"))
        for _ in range(rounds)
        for call in NORMALISERS
        for value in NASTY
    ]
    typical = [
        _call_ms(call, value) for _ in range(rounds) for call in NORMALISERS for value in TYPICAL.values()
    ]
    worst, where = max(hostile)
    median = statistics.median(c for c, _ in hostile)
    return (
        f"{len(hostile)} normaliser calls on hostile values: p50 {median:.3f} ms,"
        f" worst {worst:.1f} ms ({where}); on typical values: p50 {statistics.median(typical):.3f} ms,"
        f" worst {max(typical):.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    os.environ.setdefault("LOG_LEVEL", "ERROR")  # a refused delivery logs a warning: hundreds here
    postgres = PostgresServer()
    url = await postgres.new_database()
    try:
        await migrate(DEFINITION.settings(database_url=url), "ingest", MIGRATIONS)
        line = await deliveries(url, args.rounds)
    finally:
        await postgres.drop(url)
        postgres.stop()
    print(f"hostile input: {line}; {normalisers(args.rounds)}")


if __name__ == "__main__":
    asyncio.run(main())
