"""The handshake clock: a handoff unaccepted past its due time escalates (`opp.handoff_escalated`,
`lead.route_escalated` for a routed MQL; outbound turns them into alerts); still unaccepted a
window later, it goes to the next available person of the pool (`opp.handoff_reassigned`,
`lead.routed`), the reason in the history. A nurture or recycle clock that runs out closes its
route (`lead.routed`, rule `clock_expired`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from services.opportunity.app.fields import change_fields
from services.opportunity.app.handoffs import HANDOFF, decide
from services.opportunity.app.models import Handoff
from services.opportunity.app.uow import OpportunityUnitOfWork
from services.opportunity.settings import OpportunitySettings
from shared.assignment import Decision
from shared.events import LeadRouted, LeadRouteEscalated, OppHandoffEscalated, OppHandoffReassigned
from shared.jobs import Job
from shared.telemetry import instruments

BATCH = 200
KINDS = ("stage", "lead")
SALES = "sales"  # the lead route with an owner to accept it; nurture and recycle have clocks


async def escalate(uow: OpportunityUnitOfWork, settings: OpportunitySettings, now: datetime) -> int:
    """Escalate up to BATCH overdue handoffs of each kind; end the nurture and recycle clocks that
    ran out. The caller commits."""
    done = 0
    for kind in KINDS:
        for candidate in await uow.handoffs.overdue(kind, now, BATCH):
            held = await _relocked(uow, candidate)
            if held is None or held.escalated_at is not None or held.due_at is None:
                continue
            if held.kind == "lead" and held.stage != SALES:
                await _clock_ran_out(uow, held, now)
            else:
                await uow.handoffs.save(held.model_copy(update={"escalated_at": now}))
                await _emit_escalated(uow, settings, held, held.due_at, now)
            done += 1
    if done:
        instruments.domain_counter("handoffs.escalated", "Handoffs not accepted in time.").add(done)
    return done


async def _emit_escalated(
    uow: OpportunityUnitOfWork, settings: OpportunitySettings, held: Handoff, due: datetime, now: datetime
) -> None:
    [rep] = await uow.teams.reps([held.owner]) if held.owner else [None]
    email = rep.email if rep else None
    reassign_at = now + timedelta(hours=settings.opportunity_reassign_hours)
    overdue = (now - due).total_seconds()
    if held.kind == "lead":
        uow.emit(
            LeadRouteEscalated(
                contact_id=held.contact_id or "",
                account_id=held.account_id,
                owner=held.owner,
                owner_email=email,
                pool_id=held.pool_id,
                assigned_at=held.assigned_at,
                due_at=due,
                overdue_by_seconds=overdue,
                reassign_at=reassign_at,
            )
        )
        return
    opp = await uow.opps.get(held.opp_id or "")
    uow.emit(
        OppHandoffEscalated(
            opp_id=held.opp_id or "",
            account_id=held.account_id,
            type=opp.type if opp else "",
            stage=held.stage,
            team=held.team,
            owner=held.owner,
            owner_email=email,
            pool_id=held.pool_id,
            assigned_at=held.assigned_at,
            due_at=due,
            overdue_by_seconds=overdue,
            reassign_at=reassign_at,
        )
    )


async def _clock_ran_out(uow: OpportunityUnitOfWork, held: Handoff, now: datetime) -> None:
    """A nurture or recycle clock ends: the route closes, and the MAP hears it."""
    reason = f"the {held.stage} clock ran out ({held.due_at:%Y-%m-%d}) before the person qualified again"
    await uow.handoffs.save(
        held.model_copy(update={"status": "closed", "closed_at": now, "closed_reason": reason})
    )
    uow.emit(
        LeadRouted(
            contact_id=held.contact_id or "",
            account_id=held.account_id,
            route=held.stage,
            reason=reason,
            rule="clock_expired",
            actor=HANDOFF,
        )
    )


async def reassign(uow: OpportunityUnitOfWork, settings: OpportunitySettings, now: datetime) -> int:
    """Hand up to BATCH handoffs escalated a window ago, still unaccepted, to the next in the pool."""
    before = now - timedelta(hours=settings.opportunity_reassign_hours)
    done = 0
    for kind in KINDS:
        for candidate in await uow.handoffs.escalated_before(kind, before, BATCH):
            held = await _relocked(uow, candidate)
            if held is None or held.escalated_at is None or held.escalated_at >= before:
                continue
            done += await _reassign_one(uow, settings, held, now)
    return done


async def _reassign_one(
    uow: OpportunityUnitOfWork, settings: OpportunitySettings, held: Handoff, now: datetime
) -> int:
    gone = await uow.handoffs.owners(held.opp_id, held.contact_id, held.stage) | {held.owner or ""}
    account = await uow.copies.account(held.account_id)
    decision = await decide(
        uow, held.team, account, now, account_id=held.account_id, exclude=frozenset(gone), named=False
    )
    if decision.rep_id is None:
        return 0  # no one else can take it: it stays escalated with its owner, and is tried again
    why = (
        f"{held.owner} did not accept within {settings.opportunity_accept_hours:g}h, nor"
        f" {settings.opportunity_reassign_hours:g}h after the escalation"
    )
    await uow.handoffs.save(
        held.model_copy(update={"status": "reassigned", "closed_at": now, "closed_reason": why})
    )
    reason = f"reassigned: {why}; {decision.reason}"
    hours = (
        settings.opportunity_mql_accept_hours if held.kind == "lead" else settings.opportunity_accept_hours
    )
    due = now + timedelta(hours=hours)
    new = _successor(held, decision, reason, due, now)
    await uow.handoffs.add(new)
    if held.kind == "lead":
        uow.emit(
            LeadRouted(
                contact_id=held.contact_id or "",
                account_id=held.account_id,
                route=SALES,
                owner=decision.rep_id,
                due_at=due,
                reason=reason,
                rule=decision.rule,
                pool_id=decision.pool_id,
                turn=decision.turn,
                actor=HANDOFF,
            )
        )
    else:
        await _reassign_opp(uow, held, new, reason)
    instruments.domain_counter("handoffs.reassigned", "Handoffs given to the next in the pool.").add(1)
    return 1


def _successor(held: Handoff, decision: Decision, reason: str, due: datetime, now: datetime) -> Handoff:
    return held.model_copy(
        update={
            "handoff_id": str(uuid.uuid4()),
            "owner": decision.rep_id,
            "pool_id": decision.pool_id,
            "turn": decision.turn,
            "rule": decision.rule,
            "reason": reason,
            "assigned_at": now,
            "due_at": due,
            "escalated_at": None,
        }
    )


async def _reassign_opp(uow: OpportunityUnitOfWork, held: Handoff, new: Handoff, reason: str) -> None:
    opp = await uow.opps.get(held.opp_id or "", lock=True)
    assert opp is not None, "a stage handoff's opp exists (it was locked to relock the handoff)"
    changes = {"stage_owner": new.owner, "next_step_owner": new.owner}
    await change_fields(uow, opp, changes, actor=HANDOFF, now=new.assigned_at, reason=reason)
    uow.emit(
        OppHandoffReassigned(
            opp_id=opp.opp_id,
            account_id=opp.account_id,
            type=opp.type,
            stage=held.stage,
            team=held.team,
            from_owner=held.owner,
            to_owner=new.owner,
            reason=reason,
            rule=new.rule,
            pool_id=new.pool_id,
            turn=new.turn,
            due_at=new.due_at,
        ),
        aggregate_version=opp.version,
    )


async def _relocked(uow: OpportunityUnitOfWork, candidate: Handoff) -> Handoff | None:
    """The opp's row first, then its handoff, as every other path locks them; None if it moved on."""
    if candidate.opp_id is not None:
        await uow.opps.get(candidate.opp_id, lock=True)
        held = await uow.handoffs.current_of_opp(candidate.opp_id)
    else:
        held = await uow.handoffs.current_of_contact(candidate.contact_id or "")
    if held is None or held.handoff_id != candidate.handoff_id or held.status != "open":
        return None
    return held


async def run(uows: Callable[[], OpportunityUnitOfWork], settings: OpportunitySettings) -> int:
    """Escalate, then reassign, in batches until nothing is left to do."""
    total = 0
    for step in (escalate, reassign):
        while True:
            async with uows() as uow:
                done = await step(uow, settings, datetime.now(UTC))
                await uow.commit()
            total += done
            if done < BATCH:
                break
    return total


HANDOFF_SCAN = Job("handoff-scan", every=lambda s: s.opportunity_handoff_scan_seconds, run=run)
