"""Fixtures: a real PostgreSQL, a real broker, migrated databases and running services."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from deploy import services
from deploy.services import migrate_all
from shared.settings import Settings
from shared.telemetry.setup import setup_telemetry
from tests.support.infra import Broker, PostgresServer

API_KEY = "test-key-0123456789abcdef"
# People with keys of their own: what a request changes is recorded as done by its key's name.
PEOPLE = ("sam", "rita", "olga", "ann", "mia")


def key_of(name: str) -> str:
    return f"{name}-key-0123456789abcdef"


def as_(name: str) -> dict[str, str]:
    """Headers that authenticate a request as `name`."""
    return {"Authorization": f"Bearer {key_of(name)}"}


# Every span of the session, for assertions on traces. Installed as this module is imported,
# before any test module builds an app (whose telemetry set-up keeps a provider already there).
SPANS = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(SPANS))
trace.set_tracer_provider(_provider)


@pytest.fixture(scope="session", autouse=True)
def telemetry() -> None:
    """The services' own providers, except that spans go to memory instead of OTLP."""
    setup_telemetry("tests", Settings())


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    shared_broker = Broker(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")).start()
    yield shared_broker
    shared_broker.stop()


@pytest.fixture
def own_broker() -> Iterator[Broker]:
    """A broker this test alone uses (to kill and restart it)."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        pytest.skip("needs a broker process it can restart; KAFKA_BOOTSTRAP_SERVERS names one")
    private = Broker().start()
    yield private
    private.stop()


async def _migrated(postgres: PostgresServer) -> str:
    url = await postgres.new_database()
    await migrate_all(Settings(database_url=url), list(services.PORTS))
    return url


@pytest.fixture(scope="session")
async def database_url(postgres: PostgresServer) -> AsyncIterator[str]:
    """One migrated database for the session; tests keep apart by unique data and topics."""
    url = await _migrated(postgres)
    yield url
    await postgres.drop(url)


@pytest.fixture
async def fresh_database_url(postgres: PostgresServer) -> AsyncIterator[str]:
    """A migrated database this test alone uses (for exact counts)."""
    url = await _migrated(postgres)
    yield url
    await postgres.drop(url)


def make_settings(database_url: str, bootstrap: str, **overrides: Any) -> dict[str, Any]:
    """Settings for one test: its own topic namespace, fast retries and checks."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": bootstrap,
        "kafka_topic_prefix": f"t{uuid.uuid4().hex[:10]}.",
        "kafka_topic_partitions": 3,
        "kafka_fetch_max_wait_ms": 50,
        "api_keys": [API_KEY, *(f"{name}={key_of(name)}" for name in PEOPLE)],
        "consumer_backoff_seconds": 0.01,
        "outbox_check_seconds": 0.5,
        "outbox_poll_seconds": 0.02,
        "database_pool_size": 5,
    }
    values.update(overrides)
    return values
