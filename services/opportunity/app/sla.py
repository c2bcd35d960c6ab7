"""The SLA scan: every stay in a stage that outlives its SLA is recorded and emitted exactly once,
and escalated once when it is still there a second window later (`opportunity_sla_escalation_factor`
times the SLA).

Once-only rests on the breach's unique key (opp, stage, entered at) and on its `escalated_at`:
the row and its outbox row commit together, and a concurrent scan (another replica) that finds the
same stay waits for it, then records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from services.opportunity.app.models import Breach
from services.opportunity.app.uow import OpportunityUnitOfWork, Sla
from services.opportunity.settings import OpportunitySettings
from shared.events import OppSlaBreached, OppSlaEscalated
from shared.jobs import Job
from shared.telemetry import instruments

BATCH = 500
E = TypeVar("E", OppSlaBreached, OppSlaEscalated)


def slas(settings: OpportunitySettings) -> list[Sla]:
    return [
        (pipeline.type, stage.name, stage.sla_hours)
        for pipeline in settings.pipelines.by_type.values()
        for stage in pipeline.stages
        if stage.sla_hours is not None
    ]


async def scan_breaches(uow: OpportunityUnitOfWork, settings: OpportunitySettings, now: datetime) -> int:
    """Record and emit up to BATCH new breaches and BATCH escalations as of `now`; the caller
    commits."""
    wanted = slas(settings)
    if not wanted:
        return 0
    found = await uow.opps.record_breaches(wanted, now, BATCH)
    for breach in found:
        uow.emit(_event(OppSlaBreached, breach))
    if found:
        instruments.domain_counter("sla.breaches", "Opportunity SLA breaches.").add(len(found))
    return len(found) + await _escalate(uow, settings, wanted, now)


async def _escalate(
    uow: OpportunityUnitOfWork, settings: OpportunitySettings, wanted: list[Sla], now: datetime
) -> int:
    factor = settings.opportunity_sla_escalation_factor
    if not factor:
        return 0
    found = await uow.opps.escalate_breaches(wanted, factor, now, BATCH)
    for breach in found:
        uow.emit(_event(OppSlaEscalated, breach))
    if found:
        instruments.domain_counter("sla.escalations", "Opportunity SLA breaches escalated.").add(len(found))
    return len(found)


def _event(kind: type[E], breach: Breach) -> E:
    return kind.model_validate(breach.model_dump(include=set(kind.model_fields)))


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
