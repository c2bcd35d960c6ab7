"""Keeps the embedded stack's processes alive (PostgreSQL, the broker, the services): a dead one
is restarted with backoff; SIGINT/SIGTERM stops them all, gently and then firmly, leaving none
behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from deploy.embedded import die_with_parent

STOP_GRACE_SECONDS = 10.0
HEALTHY_AFTER_SECONDS = 30.0


class Process(Protocol):
    """What the supervisor watches: a `subprocess.Popen`, or a server it did not start itself."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...


@dataclass
class Child:
    name: str
    start: Callable[[IO[bytes]], Process]
    log_path: Path
    # How to stop a child that is not a process group of ours (PostgreSQL); after the others.
    stop: Callable[[], None] | None = None
    process: Process | None = None
    started_at: float = 0.0
    backoff: float = 1.0
    restart_at: float | None = None
    restarts: int = 0
    _log: IO[bytes] | None = field(default=None, repr=False)

    def launch(self) -> None:
        self._log = self._log or open(self.log_path, "ab")  # noqa: SIM115 - kept open while supervised
        self.process = self.start(self._log)
        self.started_at = time.monotonic()
        self.restart_at = None


def python_child(name: str, argv: list[str], env: dict[str, str], log_path: Path) -> Child:
    def start(log: IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, *argv],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
            start_new_session=True,
        )

    return Child(name, start, log_path)


class Supervisor:
    def __init__(self, children: list[Child], say: Callable[[str], Any] = print) -> None:
        self.children = children
        self._say = say
        self._stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)
        try:
            self.launch_all()
            while not self._stopping:
                self.tend()
                time.sleep(0.5)
        finally:
            self.stop()

    def launch_all(self) -> None:
        for child in self.children:
            child.launch()

    def _request_stop(self, *_: object) -> None:
        self._stopping = True

    def tend(self) -> None:
        """Restart, after its backoff, each child that is not running."""
        now = time.monotonic()
        for child in self.children:
            if child.process is None or child.process.poll() is None:
                if child.process is not None and now - child.started_at > HEALTHY_AFTER_SECONDS:
                    child.backoff = 1.0
                continue
            if child.restart_at is None:
                code = child.process.returncode
                child.restart_at = now + child.backoff
                self._say(
                    f"{child.name} exited ({code}); restarting in {child.backoff:.0f}s "
                    f"(log: {child.log_path})"
                )
                child.backoff = min(child.backoff * 2, 30.0)
            elif now >= child.restart_at:
                child.restarts += 1
                try:
                    child.launch()
                except Exception as exc:  # it could not even start: try again later
                    child.restart_at = now + child.backoff
                    self._say(f"{child.name} did not start ({exc!r}); again in {child.backoff:.0f}s")
                    child.backoff = min(child.backoff * 2, 30.0)

    def stop(self) -> None:
        running = [
            c.process
            for c in self.children
            if c.stop is None and isinstance(c.process, subprocess.Popen) and c.process.poll() is None
        ]
        for process in running:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        for child in self.children:
            if child.stop is not None:
                child.stop()


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
