"""Outbound's retention and erasure in SQL: settled deliveries past the window go with their
attempts, pending ones stay; an erased person's queued deliveries and MAP operations are dropped
and their logged bodies emptied."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from services.outbound.app import housekeeping
from services.outbound.app.models import Attempt, Delivery, SyncOp
from services.outbound.bootstrap import DEFINITION
from services.outbound.settings import OutboundSettings
from shared.events import PersonErased
from shared.runtime import units_of_work
from tests.support.db import fetch

NOW = datetime.now(UTC)


def delivery(key: str, status: str, age_days: float, event_type: str = "lead.converted") -> Delivery:
    at = NOW - timedelta(days=age_days)
    return Delivery(
        delivery_id=str(uuid.uuid4()),
        subscription_id="s-housekeeping",
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        key=key,
        body='{"email": "ada@example.com"}',
        status=status,
        event_at=at,
        window_from=at,
        next_attempt_at=at,
        created_at=at,
    )


async def test_retention_and_erasure(database_url: str) -> None:
    settings = OutboundSettings(database_url=database_url)
    person, other = str(uuid.uuid4()), str(uuid.uuid4())
    old, pending, recent = (
        delivery(other, "delivered", 40),
        delivery(other, "pending", 40),
        delivery(person, "delivered", 1),
    )
    queued = delivery(person, "pending", 0)
    async with units_of_work(DEFINITION, settings) as uows:
        async with uows() as uow:
            await uow.deliveries.add([old, pending, recent, queued])
            attempt = Attempt(delivery_id=old.delivery_id, attempt=1, at=NOW, status_code=200, duration_ms=1)
            await uow.deliveries.settle([old], [attempt])
            op = SyncOp(
                system="hubspot",
                op="add",
                list_id="1",
                person_id="someone",
                email="ada@example.com",
                next_attempt_at=NOW,
                created_at=NOW,
            )
            await uow.sync.add([op])
            await uow.commit()
        async with uows() as uow:
            assert await housekeeping.pruners(settings)["deliveries"](uow, NOW, 1000) >= 1
            await uow.commit()
        erased = PersonErased(
            erasure_id="e",
            lead_ids=[person],
            email_hash=hashlib.sha256(b"ada@example.com").hexdigest(),
            requested_by="dpo",
        )
        async with uows() as uow:
            await housekeeping.erase(uow, erased)
            await uow.commit()
    rows = await fetch(
        database_url,
        "SELECT delivery_id, body FROM outbound.deliveries WHERE delivery_id = ANY($1::text[])",
        [d.delivery_id for d in (old, pending, recent, queued)],
    )
    assert {r[0]: r[1] for r in rows} == {
        pending.delivery_id: pending.body,
        recent.delivery_id: '{"erased": true}',
    }
    attempts = await fetch(
        database_url, "SELECT count(*) FROM outbound.attempts WHERE delivery_id = $1", old.delivery_id
    )
    assert attempts[0][0] == 0
    ops = await fetch(database_url, "SELECT count(*) FROM outbound.sync_ops WHERE person_id = 'someone'")
    assert ops[0][0] == 0
