"""`cascade up`: PostgreSQL, a broker, migrations and the four supervised services."""

from __future__ import annotations

import asyncio
import json
import os
from functools import partial
from pathlib import Path

from deploy import services
from deploy.cli import api_key, migrate_all
from deploy.embedded import EmbeddedPostgres, free_port, start_tansu
from deploy.supervisor import Child, Supervisor, python_child
from shared.settings import Settings


def run_stack(state: Path) -> None:
    logs = state / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    key = api_key(state)
    env["API_KEYS"] = ",".join(filter(None, [env.get("API_KEYS", ""), key]))

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
        asyncio.run(migrate_all(Settings(database_url=env["DATABASE_URL"]), list(services.PORTS)))
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


def _banner(state: Path, key: str) -> str:
    lines = [f"  {name:12} http://127.0.0.1:{port}/docs" for name, port in services.PORTS.items()]
    return "\n".join(
        [
            "Cascade is up (Ctrl-C stops everything):",
            *lines,
            f"  API key      {state / 'api-key'}",
            f"  logs         {state / 'logs'}",
            "Try:",
            f"  curl -s -X POST http://127.0.0.1:8001/v1/leads -H 'Authorization: Bearer {key}' \\",
            "       -H 'Content-Type: application/json' "
            """-d '{"email": "ada@example.com", "company": "Example"}'""",
        ]
    )
