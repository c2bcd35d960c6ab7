"""Services as separate `cascade serve` processes, as the embedded stack runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from typing import Any

import httpx

from deploy.embedded import free_port, wait_for_port


class ServiceProcesses:
    def __init__(self, settings: dict[str, Any], names: tuple[str, ...]) -> None:
        self.env = {**os.environ, **{k.upper(): _env(v) for k, v in settings.items()}}
        self.ports = {name: free_port() for name in names}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs = {
            name: tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)  # noqa: SIM115
            for name in names
        }
        self.headers = {"Authorization": f"Bearer {settings['api_keys'][0]}"}

    def start(self, name: str) -> None:
        """Start `name`: a service, or a replica of one (`matcher:2`) in the same group."""
        service = name.partition(":")[0]
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "deploy.cli", "serve", service, "--port", str(self.ports[name])],
            env=self.env,
            stdout=self.logs[name],
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.ports[name], timeout=60)

    def start_all(self) -> ServiceProcesses:
        for name in self.ports:
            self.start(name)
        return self

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hook runs, transactions in flight are lost mid-way."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def client(self, name: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.ports[name]}", headers=self.headers, timeout=30
        )

    def log(self, name: str) -> str:
        with open(self.logs[name].name, encoding="utf-8", errors="replace") as log:
            return log.read()[-4000:]

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs.values():
            log.close()
            os.unlink(log.name)


def _env(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
