"""Keeps the embedded stack's processes alive: a dead one is restarted with backoff;
SIGINT/SIGTERM stops them all, gently and then firmly, leaving none behind."""

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
from typing import IO, Any

from deploy.embedded import die_with_parent

STOP_GRACE_SECONDS = 10.0
HEALTHY_AFTER_SECONDS = 30.0


@dataclass
class Child:
    name: str
    start: Callable[[IO[bytes]], subprocess.Popen[bytes]]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
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
        for child in self.children:
            child.launch()
        try:
            while not self._stopping:
                self._tend()
                time.sleep(0.5)
        finally:
            self.stop()

    def _request_stop(self, *_: object) -> None:
        self._stopping = True

    def _tend(self) -> None:
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
                child.launch()

    def stop(self) -> None:
        running = [c.process for c in self.children if c.process is not None and c.process.poll() is None]
        for process in running:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
