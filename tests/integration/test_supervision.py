"""`cascade up`'s supervision: a killed broker or PostgreSQL comes back (PostgreSQL on its data),
and a second stack on the same state directory, or on taken ports, is refused in one line."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import asyncpg
import pytest

from deploy.embedded import LOCALHOST, EmbeddedPostgres, free_port, start_tansu, wait_for_port
from deploy.stack import hold, refuse_taken_ports
from deploy.supervisor import Child, Supervisor
from shared.db import libpq_url


async def query(url: str, sql: str) -> object:
    conn = await asyncpg.connect(libpq_url(url))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def test_a_killed_broker_and_a_killed_postgresql_are_restarted_postgresql_on_its_data(tmp_path: Path) -> None:
    postgres = EmbeddedPostgres(tmp_path / "pgdata")
    url = postgres.url("postgres")
    asyncio.run(query(url, "CREATE TABLE kept AS SELECT 42 AS answer"))
    port = free_port()
    said: list[str] = []
    children = [
        Child("postgres", postgres.start, tmp_path / "postgres.log", stop=postgres.stop),
        Child("broker", partial(start_tansu, port), tmp_path / "broker.log"),
    ]
    supervisor = Supervisor(children, say=said.append)
    supervisor.launch_all()
    try:
        for child in children:
            assert child.process is not None
            os.kill(child.process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 120
        while not all(c.restarts and c.process is not None and c.process.poll() is None for c in children):
            assert time.monotonic() < deadline, said
            supervisor.tend()
            time.sleep(0.2)
        assert asyncio.run(query(url, "SELECT answer FROM kept")) == 42
        wait_for_port(port)
    finally:
        supervisor.stop()
    assert any(line.startswith("postgres exited") for line in said)
    assert any(line.startswith("broker exited") for line in said)


def test_a_second_stack_on_the_same_state_directory_is_refused_in_one_line(tmp_path: Path) -> None:
    held = hold(tmp_path)
    try:
        second = subprocess.run(
            [sys.executable, "-m", "deploy.cli", "up", "--state-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        held.close()
    assert second.returncode != 0
    assert second.stderr.strip().splitlines() == [
        f"cascade up: a stack already runs on {tmp_path} (pid {os.getpid()}); stop it first"
    ]


def test_a_stack_whose_ports_are_taken_is_refused_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind((LOCALHOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as refused:
            refuse_taken_ports({"ingest": free_port(), "matcher": port})
    assert (
        str(refused.value)
        == f"cascade up: port {port} (matcher) already in use; stop what listens there first"
    )
