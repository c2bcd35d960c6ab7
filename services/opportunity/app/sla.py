"""The SLA scan: every stay in a stage that outlives its SLA is recorded and emitted exactly once.

Once-only rests on the breach's unique key (opp, stage, entered at): the breach row and its
`opp.sla_breached` outbox row commit together, and a concurrent scan (another replica) that
finds the same stay waits for it, then records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from services.opportunity.app.uow import OpportunityUnitOfWork, Sla
from services.opportunity.settings import OpportunitySettings
from shared.events import OppSlaBreached
from shared.jobs import Job
from shared.telemetry import instruments

BATCH = 500


def slas(settings: OpportunitySettings) -> list[Sla]:
    return [
        (pipeline.type, stage.name, stage.sla_hours)
        for pipeline in settings.pipelines.by_type.values()
        for stage in pipeline.stages
        if stage.sla_hours is not None
    ]


async def scan_breaches(uow: OpportunityUnitOfWork, settings: OpportunitySettings, now: datetime) -> int:
    """Record and emit up to BATCH new breaches as of `now`; the caller commits."""
    wanted = slas(settings)
    if not wanted:
        return 0
    found = await uow.opps.record_breaches(wanted, now, BATCH)
    for breach in found:
        uow.emit(
            OppSlaBreached(
                opp_id=breach.opp_id,
                stage=breach.stage,
                sla_hours=breach.sla_hours,
                overdue_by_seconds=breach.overdue_by_seconds,
                account_id=breach.account_id,
                type=breach.type,
                stage_entered_at=breach.stage_entered_at,
                owner=breach.owner,
            )
        )
    if found:
        instruments.domain_counter("sla.breaches", "Opportunity SLA breaches.").add(len(found))
    return len(found)


async def scan_all(uows: Callable[[], OpportunityUnitOfWork], settings: OpportunitySettings) -> int:
    """Scan in batches until nothing new is overdue."""
    total = 0
    while True:
        async with uows() as uow:
            found = await scan_breaches(uow, settings, datetime.now(UTC))
            await uow.commit()
        total += found
        if found < BATCH:
            return total


SLA_SCAN = Job("sla-scan", every=lambda s: s.opportunity_sla_scan_seconds, run=scan_all)
