"""Start (or find) the real servers tests run against.

PostgreSQL: `TEST_DATABASE_URL`, else 127.0.0.1:5432 when it answers, else an embedded server
in a temporary directory. Broker: `KAFKA_BOOTSTRAP_SERVERS`, else a Tansu process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from deploy.embedded import EmbeddedPostgres, free_port, start_tansu
from shared.db import drop_database, ensure_database, libpq_url, with_database

T = TypeVar("T")
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


async def _answers(url: str) -> bool:
    try:
        conn = await asyncio.wait_for(asyncpg.connect(libpq_url(url)), 3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to completion, also from inside a running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class PostgresServer:
    """A server URL (database `postgres`) and a way to make throw-away databases on it."""

    def __init__(self) -> None:
        self._embedded: EmbeddedPostgres | None = None
        url = os.environ.get("TEST_DATABASE_URL")
        if url is None:
            url = LOCAL_POSTGRES if _run(_answers(LOCAL_POSTGRES)) else None
        if url is None:
            pgdata = Path(tempfile.mkdtemp(prefix="cascade-test-pg-")) / "pgdata"
            self._embedded = EmbeddedPostgres(pgdata)
            url = self._embedded.url("postgres")
        self.url = url

    async def new_database(self) -> str:
        url = with_database(self.url, f"cascade_test_{uuid.uuid4().hex[:12]}")
        await ensure_database(url)
        return url

    @staticmethod
    async def drop(url: str) -> None:
        await drop_database(url)

    def stop(self) -> None:
        if self._embedded is not None:
            self._embedded.stop()


class Broker:
    """A Kafka-protocol broker process; `restart()` brings it back empty on the same port."""

    def __init__(self, external: str | None = None) -> None:
        self.external = external
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the broker

    @property
    def bootstrap(self) -> str:
        return self.external or f"127.0.0.1:{self.port}"

    def start(self) -> Broker:
        if not self.external:
            self.process = start_tansu(self.port, self._log)
        return self

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        self.kill()
        self._log.close()
