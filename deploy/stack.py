"""`cascade up`: PostgreSQL, a broker, migrations and every supervised service."""

from __future__ import annotations

import asyncio
import base64
import fcntl
import json
import os
import secrets
import string
from functools import partial
from pathlib import Path
from typing import IO

from deploy import services
from deploy.embedded import EmbeddedPostgres, free_port, port_is_free, start_tansu
from deploy.supervisor import Child, Supervisor, python_child
from shared.keys import digest
from shared.settings import Settings

ALNUM = string.ascii_letters + string.digits


def run_stack(state: Path) -> None:
    lock = hold(state)  # noqa: F841 - held until this process exits
    refuse_taken_ports(services.PORTS)
    logs = state / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    key = api_key(state)
    # The services see the key's digest only; the plain key stays in the file.
    console_key = private_secret(state / "console-api-key")
    own = [f"admin:admin=sha256:{digest(key)}", f"console:console=sha256:{digest(console_key)}"]
    env["API_KEYS"] = ",".join(filter(None, [env.get("API_KEYS", ""), *own]))
    env.setdefault("CONSOLE_API_KEY", console_key)
    env.setdefault("CONSOLE_ADMIN_PASSWORD_FILE", str(console_password(state)))
    env.setdefault("WEBHOOK_SECRETS_FILE", str(webhook_secrets(state)))
    # Local receivers are how one tries webhooks on one machine; production refuses loopback.
    env.setdefault("OUTBOUND_ALLOW_LOOPBACK_TARGETS", "true")
    watched = {
        name: f"http://127.0.0.1:{port}" for name, port in services.PORTS.items() if name != "outbound"
    }
    env.setdefault("OUTBOUND_WATCH_SERVICES", json.dumps(watched))

    postgres = None
    children: list[Child] = []
    if not env.get("DATABASE_URL"):
        print("starting PostgreSQL (embedded) in", state / "pgdata")
        postgres = EmbeddedPostgres(state / "pgdata")
        env["DATABASE_URL"] = postgres.url("cascade")
        children.append(Child("postgres", postgres.start, logs / "postgres.log", stop=postgres.stop))
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


def hold(state: Path) -> IO[str]:
    """Hold `<state>/lock` (flock) for as long as this stack runs; if another stack holds it,
    say so in one line and exit."""
    state.mkdir(parents=True, exist_ok=True)
    lock = open(state / "lock", "a+")  # noqa: SIM115 - held for the life of the process
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "?"
        raise SystemExit(
            f"cascade up: a stack already runs on {state} (pid {holder}); stop it first"
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def refuse_taken_ports(ports: dict[str, int]) -> None:
    taken = [f"{port} ({name})" for name, port in ports.items() if not port_is_free(port)]
    if taken:
        raise SystemExit(f"cascade up: port {', '.join(taken)} already in use; stop what listens there first")


def api_key(state: Path) -> str:
    """The embedded stack's admin key, generated on first start into `.cascade/api-key` (created
    readable by its owner only, never world-readable even for a moment)."""
    return private_secret(state / "api-key")


def private_secret(path: Path) -> str:
    """A random secret kept in `path` (0600), generated on first start."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()


def console_password(state: Path) -> Path:
    """The console's first admin password, generated on first start into `.cascade/console-password`."""
    path = state / "console-password"
    private_secret(path)
    return path


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
    lines = [
        f"  {name:12} http://127.0.0.1:{port}/docs"
        for name, port in services.PORTS.items()
        if name != "console"
    ]
    return "\n".join(
        [
            "Cascade is up (Ctrl-C stops everything):",
            f"  console      http://127.0.0.1:{services.PORTS['console']}/  (user admin, password in"
            f" {state / 'console-password'})",
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
