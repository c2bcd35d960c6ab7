"""The services and the console as `cascade serve` processes (as the embedded stack runs them),
and what a browser test needs of them: the admin's password, API clients, data to work on."""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

import httpx

from deploy.embedded import free_port
from tests.conftest import API_KEY, make_settings
from tests.support.processes import ServiceProcesses

SERVICES = ("ingest", "matcher", "opportunity", "scoring", "attribution")
CONSOLE_KEY = "console-key-0123456789abcdef"
WEBHOOK_SECRETS = {"mautic": "mautic-webhook-secret-0123", "marketo": "marketo-shared-secret-0123"}


class ConsoleStack:
    """Five services and the console; outbound is not running (its parts of the pages say so)."""

    def __init__(self, database_url: str, bootstrap: str) -> None:
        settings = make_settings(database_url, bootstrap)
        settings["api_keys"] = [*settings["api_keys"], f"console:console={CONSOLE_KEY}"]
        self.topic_prefix: str = settings["kafka_topic_prefix"]
        self.database_url = database_url
        self.processes = ServiceProcesses(settings, (*SERVICES, "console"))
        self.password = secrets.token_urlsafe(18)
        self._password_file = Path(tempfile.mkdtemp(prefix="console-")) / "console-password"
        self._password_file.write_text(self.password + "\n")
        ports = self.processes.ports
        urls = {name: f"http://127.0.0.1:{ports[name]}" for name in SERVICES}
        urls["outbound"] = f"http://127.0.0.1:{free_port()}"  # nobody there
        self.processes.env.update(
            CONSOLE_SERVICE_URLS=json.dumps(urls),
            CONSOLE_API_KEY=CONSOLE_KEY,
            CONSOLE_ADMIN_PASSWORD_FILE=str(self._password_file),
            WEBHOOK_SECRETS=json.dumps(WEBHOOK_SECRETS),
            LOG_JSON="true",  # a traceback logged at once (the console renderer takes seconds on one)
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.processes.ports['console']}"

    def start(self) -> ConsoleStack:
        self.processes.start_all()
        return self

    def api(self, name: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.processes.ports[name]}",
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=30,
        )

    async def ready(self) -> bool:
        for name in (*SERVICES, "console"):
            async with self.api(name) as client:
                try:
                    if (await client.get("/readyz")).status_code != 200:
                        return False
                except httpx.TransportError:
                    return False
        return True

    def stop(self, logs: Path | None = None) -> None:
        """Stop everything, keeping each process's log in `logs` if given."""
        if logs is not None:
            logs.mkdir(parents=True, exist_ok=True)
            for name, log in self.processes.logs.items():
                shutil.copyfile(log.name, logs / f"{name}.log")
        self.processes.stop()
        self._password_file.unlink(missing_ok=True)


def json_of(response: httpx.Response) -> Any:
    assert response.is_success, response.text
    return response.json()
