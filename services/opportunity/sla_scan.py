"""The SLA scan: every stay in a stage that outlives its SLA is recorded and emitted exactly once.

Once-only rests on the `one_breach_per_stay` unique key (opp, stage, entered at): the breach row
and its `opp.sla_breached` outbox row commit together, and a concurrent scan (another replica)
inserting the same stay waits for it, then inserts nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy import text

from services.opportunity.settings import OpportunitySettings
from shared.events import OppSlaBreached
from shared.runtime import Runtime
from shared.telemetry import instruments
from shared.uow import UnitOfWork

log = structlog.get_logger(__name__)
BATCH = 500

_BREACHES = """
WITH slas (type, stage, hours) AS (VALUES {slas}),
due AS (
    SELECT o.opp_id, o.stage, o.stage_entered_at, s.hours, o.account_id, o.type, o.owner
    FROM opportunities o JOIN slas s ON s.type = o.type AND s.stage = o.stage
    WHERE o.closed_at IS NULL
      AND o.stage_entered_at + make_interval(secs => s.hours * 3600) < CAST(:now AS timestamptz)
      AND NOT EXISTS (
          SELECT 1 FROM sla_breaches b
          WHERE b.opp_id = o.opp_id AND b.stage = o.stage AND b.stage_entered_at = o.stage_entered_at)
    ORDER BY o.stage_entered_at
    LIMIT :batch
    FOR UPDATE OF o SKIP LOCKED
),
recorded AS (
    INSERT INTO sla_breaches (opp_id, stage, stage_entered_at, sla_hours, overdue_by_seconds, breached_at)
    SELECT opp_id, stage, stage_entered_at, hours,
           extract(epoch FROM CAST(:now AS timestamptz) - stage_entered_at) - hours * 3600,
           CAST(:now AS timestamptz)
    FROM due
    ON CONFLICT ON CONSTRAINT one_breach_per_stay DO NOTHING
    RETURNING opp_id, stage, stage_entered_at, sla_hours, overdue_by_seconds
)
SELECT r.*, d.account_id, d.type, d.owner FROM recorded r JOIN due d USING (opp_id)
"""


def _slas(settings: OpportunitySettings) -> tuple[str, dict[str, Any]]:
    rows: list[str] = []
    params: dict[str, Any] = {}
    for pipeline in settings.pipelines.by_type.values():
        for stage in pipeline.stages:
            if stage.sla_hours is not None:
                i = len(rows)
                rows.append(f"(CAST(:t{i} AS text), CAST(:s{i} AS text), CAST(:h{i} AS float8))")
                params |= {f"t{i}": pipeline.type, f"s{i}": stage.name, f"h{i}": stage.sla_hours}
    return ", ".join(rows), params


async def scan_breaches(uow: UnitOfWork, settings: OpportunitySettings, now: datetime) -> int:
    """Record and emit up to BATCH new breaches as of `now`; the caller commits."""
    slas, params = _slas(settings)
    if not slas:
        return 0
    found = await uow.session.execute(
        text(_BREACHES.format(slas=slas)), {**params, "now": now, "batch": BATCH}
    )
    rows = found.mappings().all()
    for row in rows:
        uow.emit(
            OppSlaBreached(
                opp_id=row["opp_id"],
                stage=row["stage"],
                sla_hours=row["sla_hours"],
                overdue_by_seconds=row["overdue_by_seconds"],
                account_id=row["account_id"],
                type=row["type"],
                stage_entered_at=row["stage_entered_at"],
                owner=row["owner"],
            )
        )
    if rows:
        instruments.domain_counter("sla.breaches", "Opportunity SLA breaches.").add(len(rows))
    return len(rows)


async def scan_all(runtime: Runtime, settings: OpportunitySettings) -> int:
    """Scan in batches until nothing new is overdue."""
    total = 0
    while True:
        async with runtime.uow() as uow:
            found = await scan_breaches(uow, settings, datetime.now(UTC))
            await uow.commit()
        total += found
        if found < BATCH:
            return total


async def _scan_forever(runtime: Runtime, settings: OpportunitySettings) -> None:
    while True:
        try:
            found = await scan_all(runtime, settings)
            if found:
                log.info("sla.breaches", found=found)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sla.scan_failed")
        await asyncio.sleep(settings.opportunity_sla_scan_seconds)


@asynccontextmanager
async def sla_scanner(app: FastAPI) -> AsyncIterator[None]:
    """The background scan beside the HTTP API, started and stopped with the app."""
    runtime: Runtime = app.state.runtime
    settings = runtime.settings
    assert isinstance(settings, OpportunitySettings)
    if settings.opportunity_sla_scan_seconds <= 0:
        yield
        return
    task = asyncio.create_task(_scan_forever(runtime, settings), name="opportunity-sla-scan")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
