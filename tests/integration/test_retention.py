"""The retention job on a real database: what is past its window goes, in batches, and nothing
inside its window (nor an open quarantine item, however old) is touched."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.ingest.app.retention import RETENTION
from services.ingest.bootstrap import DEFINITION
from shared.app import create_app
from shared.runtime import Runtime
from tests.conftest import make_settings
from tests.support.db import fetch


@pytest.fixture
async def runtime(fresh_database_url: str) -> AsyncIterator[Runtime]:
    settings = DEFINITION.settings(
        **make_settings(fresh_database_url, "127.0.0.1:1"),
        retention_interval_seconds=0,
        webhook_body_retention_days=30,
        webhook_answer_retention_days=90,
        quarantine_retention_days=90,
        inbox_retention_days=30,
        dead_letter_retention_days=90,
    )
    app = create_app(DEFINITION, settings, with_kafka=False)
    async with app.router.lifespan_context(app):
        yield app.state.runtime


async def seed(url: str, age_days: float, *, rows: int = 1) -> None:
    at = datetime.now(UTC) - timedelta(days=age_days)
    for _ in range(rows):
        key = uuid.uuid4().hex
        await fetch(url, "INSERT INTO ingest.inbox VALUES ('c', $1, $2)", key, at)
        await fetch(
            url,
            'INSERT INTO ingest.dead_letters (consumer, topic, partition, "offset", headers, value, error,'
            " attempts, created_at) VALUES ('c', 't', 0, 0, '{}', 'x', 'e', 1, $1)",
            at,
        )
        await fetch(
            url,
            "INSERT INTO ingest.webhook_deliveries (source, delivery_id, content_type, body, response,"
            " received_at) VALUES ('generic', $1, 'application/json', 'body', '{}', $2)",
            key,
            at,
        )
        await fetch(
            url,
            "INSERT INTO ingest.webhook_receipts (source, item_key, delivery_id, outcome, created_at)"
            " VALUES ('generic', $1, $1, 'accepted', $2)",
            key,
            at,
        )
        for status in ("open", "discarded"):
            await fetch(
                url,
                "INSERT INTO ingest.quarantine (quarantine_id, source, payload, reason, status, resolved_at,"
                " created_at) VALUES ($1, 'generic', '{}', 'r', $2, $3, $4)",
                f"{key}-{status}",
                status,
                None if status == "open" else at,
                at,
            )


async def counts(url: str) -> dict[str, int]:
    queries = {
        "inbox": "SELECT count(*) FROM ingest.inbox",
        "dead_letters": "SELECT count(*) FROM ingest.dead_letters",
        "deliveries": "SELECT count(*) FROM ingest.webhook_deliveries",
        "bodies": "SELECT count(*) FROM ingest.webhook_deliveries WHERE body <> ''",
        "receipts": "SELECT count(*) FROM ingest.webhook_receipts",
        "open": "SELECT count(*) FROM ingest.quarantine WHERE status = 'open'",
        "resolved": "SELECT count(*) FROM ingest.quarantine WHERE status <> 'open'",
    }
    return {name: (await fetch(url, sql))[0][0] for name, sql in queries.items()}


async def test_each_window_prunes_only_what_is_past_it(runtime: Runtime, fresh_database_url: str) -> None:
    await seed(fresh_database_url, 1)  # inside every window
    await seed(fresh_database_url, 45)  # past the inbox's and the bodies' windows
    await seed(fresh_database_url, 120, rows=3)  # past every window
    pruned = await RETENTION.run(runtime.uow, runtime.settings)
    assert pruned == {
        "inbox": 4,
        "dead_letters": 3,
        "webhook_bodies": 4,
        "webhook_answers": 3,
        "webhook_receipts": 3,
        "quarantine": 3,
    }
    assert await counts(fresh_database_url) == {
        "inbox": 1,
        "dead_letters": 2,
        "deliveries": 2,
        "bodies": 1,
        "receipts": 2,
        "open": 5,
        "resolved": 2,
    }
    assert await RETENTION.run(runtime.uow, runtime.settings) == {}


def test_every_service_runs_a_retention_job() -> None:
    from deploy import services

    for name in services.PORTS:
        assert "retention" in [job.name for job in services.definition(name).scheduled()], name
