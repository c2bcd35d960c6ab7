"""`cascade up`: PostgreSQL, a broker, migrations and the four supervised services."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import string
from functools import partial
from pathlib import Path

from deploy import services
from deploy.embedded import EmbeddedPostgres, free_port, start_tansu
from deploy.supervisor import Child, Supervisor, python_child
from shared.keys import digest
from shared.settings import Settings

ALNUM = string.ascii_letters + string.digits


def run_stack(state: Path) -> None:
    logs = state / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    key = api_key(state)
    # The services see the key's digest only; the plain key stays in the file.
    env["API_KEYS"] = ",".join(filter(None, [env.get("API_KEYS", ""), f"admin:admin=sha256:{digest(key)}"]))
    env.setdefault("WEBHOOK_SECRETS_FILE", str(webhook_secrets(state)))

    postgres = None
    if not env.get("DATABASE_URL"):
        print("starting PostgreSQL (embedded) in", state / "pgdata")
        postgres = EmbeddedPostgres(state / "pgdata")
        env["DATABASE_URL"] = postgres.url("cascade")
    children: list[Child] = []
    if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
        port = free_port(9092)
        env["KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{port}"
        env.setdefault("KAFKA_FETCH_MAX_WAIT_MS", "50")  # Tansu does not end a fetch when data arrives
        children.append(Child("broker", partial(start_tansu, port), logs / "broker.log"))
        print(f"broker: Tansu (in memory) on 127.0.0.1:{port}; the outbox replays it after a restart")
    try:
        # <SERVICE>_DATABASE_URL, when set, come from the environment as in the services.
        asyncio.run(services.migrate_all(Settings(database_url=env["DATABASE_URL"]), list(services.PORTS)))
        for name, service_port in services.PORTS.items():
            argv = ["-m", "deploy.cli", "serve", name, "--port", str(service_port)]
            children.append(python_child(name, argv, env, logs / f"{name}.log"))
        (state / "stack.json").write_text(
            json.dumps(
                {
                    "kafka_bootstrap_servers": env["KAFKA_BOOTSTRAP_SERVERS"],
                    "database_url": env["DATABASE_URL"],
                    "ports": services.PORTS,
                },
                indent=2,
            )
        )
        print(_banner(state, key))
        Supervisor(children).run()
    finally:
        if postgres is not None:
            postgres.stop()
        print("stopped")


def api_key(state: Path) -> str:
    """The embedded stack's admin key, generated on first start into `.cascade/api-key` (created
    readable by its owner only, never world-readable even for a moment)."""
    path = state / "api-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()


def write_private(path: Path, text: str) -> None:
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        file.write(text)


def webhook_secrets(state: Path) -> Path:
    """One secret per webhook source, generated on first start into `.cascade/webhook-secrets.json`.

    Salesforce signs nothing: its entry is the organization id to accept, which only the admin
    knows: a generated test id stands there until it is set.
    """
    path = state / "webhook-secrets.json"
    if not path.exists():
        generated = {
            "hubspot": secrets.token_urlsafe(32),
            "marketo": secrets.token_urlsafe(32),
            "mautic": secrets.token_urlsafe(32),
            "generic": "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
            # A well-formed test organization id: set your own organization's to accept its messages.
            "salesforce": "00D" + "".join(secrets.choice(ALNUM) for _ in range(12)),
        }
        write_private(path, json.dumps(generated, indent=2) + "\n")
    return path


def _banner(state: Path, key: str) -> str:
    lines = [f"  {name:12} http://127.0.0.1:{port}/docs" for name, port in services.PORTS.items()]
    return "\n".join(
        [
            "Cascade is up (Ctrl-C stops everything):",
            *lines,
            f"  API key      {state / 'api-key'}",
            "  webhooks     http://127.0.0.1:8001/v1/webhooks/<source>",
            f"  secrets      {state / 'webhook-secrets.json'}",
            f"  logs         {state / 'logs'}",
            "Try:",
            f"  curl -s -X POST http://127.0.0.1:8001/v1/leads -H 'Authorization: Bearer {key}' \\",
            "       -H 'Content-Type: application/json' "
            """-d '{"email": "ada@example.com", "company": "Example"}'""",
        ]
    )
