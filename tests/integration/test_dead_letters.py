"""`cascade dead-letters list|retry|discard` as a person runs it, on letters the consumer wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord

from deploy import services
from shared.events import Envelope, LeadCreated, encode_headers
from shared.kafka.records import RecordProcessor, consumer_group
from shared.runtime import units_of_work
from shared.uow import UnitOfWork
from tests.conftest import make_settings
from tests.support.db import scalar
from tests.support.infra import Broker


async def refuse(event: LeadCreated, envelope: Envelope, uow: UnitOfWork, settings: Any) -> None:
    raise RuntimeError("a bug, since fixed")


def record(lead_id: str) -> ConsumerRecord[bytes, bytes]:
    event = LeadCreated(
        lead_id=lead_id, source="test", email=f"{lead_id}@letters.example", email_domain="letters.example"
    )
    envelope = Envelope(
        id=str(uuid.uuid4()),
        source="test",
        type=event.TYPE,
        subject=lead_id,
        time=datetime.now(UTC),
        data=event.model_dump(mode="json"),
    )
    value = json.dumps(envelope.data).encode()
    return ConsumerRecord(
        "", 0, 0, 0, 0, lead_id.encode(), value, None, 0, len(value), encode_headers(envelope)
    )


def cascade(settings: dict[str, Any], *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **{k.upper(): v if isinstance(v, str) else str(v) for k, v in settings.items()}}
    env["API_KEYS"] = ",".join(settings["api_keys"])
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", "dead-letters", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_a_dead_letter_is_listed_retried_through_the_inbox_or_discarded(
    fresh_database_url: str, broker: Broker
) -> None:
    values = make_settings(fresh_database_url, broker.bootstrap, consumer_max_attempts=1)
    definition = services.definition("matcher")
    settings = definition.settings(**values)
    topic = settings.topic(LeadCreated.TYPE)
    retried, discarded = f"lead-{uuid.uuid4().hex[:8]}", f"lead-{uuid.uuid4().hex[:8]}"
    async with units_of_work(definition, settings) as uows:
        failing = RecordProcessor(
            group=consumer_group(settings, "matcher"),
            handlers={LeadCreated: refuse},
            uow=uows,
            settings=settings,
        )
        for lead_id in (retried, discarded):
            sent = record(lead_id)
            sent.topic = topic
            assert await failing.process(sent) == "dead_lettered"

    listed = cascade(values, "list", "matcher").stdout.splitlines()
    assert len(listed) == 2 and all(
        "lead.created" in line and "a bug, since fixed" in line for line in listed
    )
    first, second = (int(line.split()[1]) for line in listed)

    done = cascade(values, "retry", "matcher", str(first))
    assert done.returncode == 0 and done.stdout.split() == ["matcher", str(first), "processed"], done.stderr
    match = "SELECT count(*) FROM matcher.matches WHERE lead_id = $1"
    assert await scalar(fresh_database_url, match, retried) == 1
    again = cascade(values, "retry", "matcher", str(first))
    assert again.returncode == 1 and "not found" in again.stdout

    gone = cascade(values, "discard", "matcher", str(second))
    assert gone.returncode == 0 and "discarded 1 of 1" in gone.stdout
    assert await scalar(fresh_database_url, match, discarded) == 0
    assert cascade(values, "list").stdout == ""
