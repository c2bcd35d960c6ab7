"""The commands and environment `docker-compose.yml` and `deploy/Dockerfile` run, run for real.

No container engine here, so each compose service's `command` runs as the image would run it
(the Dockerfile's entrypoint `cascade` and its `ENV`), with the compose environment, against the
test PostgreSQL and a real broker. Only what names the compose network changes: host names, the
published ports (free ones, so as not to collide with a running stack) and the API key. Tansu has
no idempotent producer, so `KAFKA_IDEMPOTENT_PRODUCER` is off unless a real Kafka is given.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
import yaml

from deploy.embedded import free_port
from shared.db import with_database
from tests.support.infra import Broker, PostgresServer
from tests.support.stack import eventually

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
CASCADE = shutil.which("cascade", path=str(Path(sys.executable).parent)) or "cascade"
API_KEY = "compose-test-key-0123456789"


def compose() -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return found


def dockerfile_env() -> dict[str, str]:
    """The image's `ENV` lines (`ENV A=1 B=2`)."""
    env: dict[str, str] = {}
    for line in (ROOT / "deploy/Dockerfile").read_text().splitlines():
        if line.startswith("ENV "):
            env.update(pair.split("=", 1) for pair in line[4:].split())
    return env


def entrypoint() -> list[str]:
    [line] = [x for x in (ROOT / "deploy/Dockerfile").read_text().splitlines() if x.startswith("ENTRYPOINT")]
    words: list[str] = yaml.safe_load(line.removeprefix("ENTRYPOINT"))
    assert words == ["cascade"], "the image's entrypoint is the `cascade` console script"
    return [CASCADE]


def environment(service: dict[str, Any], database_url: str, broker: Broker) -> dict[str, str]:
    env = {k: str(v) for k, v in service.get("environment", {}).items()}
    assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:" in env["DATABASE_URL"]
    env["DATABASE_URL"] = database_url
    assert env.pop("KAFKA_BOOTSTRAP_SERVERS") == "kafka:9092"
    env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
    if not broker.external:
        env["KAFKA_IDEMPOTENT_PRODUCER"] = "false"
    assert env["API_KEYS"].startswith("${CASCADE_API_KEY")
    env["API_KEYS"] = API_KEY
    # Nothing listens there: the exporter's failures must not keep a service from being ready.
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = re.sub(
        r"//otel-collector:\d+", f"//127.0.0.1:{free_port()}", env["OTEL_EXPORTER_OTLP_ENDPOINT"]
    )
    return {**os.environ, **dockerfile_env(), **env}


def with_port(command: list[str], port: int) -> list[str]:
    at = command.index("--port")
    return [*command[: at + 1], str(port), *command[at + 2 :]]


@pytest.fixture
async def database(postgres: PostgresServer) -> AsyncIterator[str]:
    """A database name nobody created: `cascade migrate` creates and migrates it."""
    url = with_database(postgres.url, f"cascade_compose_{uuid.uuid4().hex[:10]}")
    yield url
    await postgres.drop(url)


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)


def serve(command: list[str], env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


async def test_migrate_then_every_service_as_compose_runs_them_comes_up_ready(
    database: str, broker: Broker
) -> None:
    services = compose()["services"]
    migrate = services["migrate"]
    done = run([*entrypoint(), *migrate["command"]], environment(migrate, database, broker))
    assert done.returncode == 0, done.stdout + done.stderr
    served = {name: s for name, s in services.items() if s.get("command", [None])[0] == "serve"}
    assert set(served) >= {"ingest", "matcher", "opportunity", "scoring"}
    processes: dict[str, tuple[subprocess.Popen[bytes], int, IO[bytes]]] = {}
    try:
        for name, service in served.items():
            assert service["command"][:2] == ["serve", name]
            assert service["command"][service["command"].index("--host") + 1] == "0.0.0.0"
            port = free_port()
            env = environment(service, database, broker) | {"PORT": str(port)}
            log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
            processes[name] = (
                serve([*entrypoint(), *with_port(service["command"], port)], env, log),
                port,
                log,
            )
        for name, (process, port, _) in processes.items():
            await eventually(lambda p=port: ready(p), timeout=120, interval=0.5)
            healthcheck = services[name]["healthcheck"]["test"]
            assert healthcheck[:2] == ["CMD", "python"]
            env = environment(services[name], database, broker) | {"PORT": str(port)}
            probe = run([sys.executable, *healthcheck[2:]], env)
            assert probe.returncode == 0, f"{name}'s compose healthcheck fails: {probe.stderr}"
            assert process.poll() is None
    finally:
        stop(processes)


def stop(processes: dict[str, tuple[subprocess.Popen[bytes], int, IO[bytes]]]) -> None:
    for process, _, _ in processes.values():
        process.terminate()
    for name, (process, _, log) in processes.items():
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.seek(0)
        if process.returncode not in (0, -15):
            print(name, log.read()[-3000:].decode(errors="replace"))
        log.close()


async def ready(port: int) -> bool:
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(f"http://127.0.0.1:{port}/readyz")
    except httpx.HTTPError:
        return False
    return response.status_code == 200
