"""Lead routes (DOMAIN: Assignment and SLAs), decided when scoring moves a person's lifecycle:
an MQL that no owned opp stage covers goes to a person (the account's AE while active, else the
territory pool) with an accept-by time; a person sent back to nurture is `recycle` when sales had
them (SAL, SQL, opportunity), else `nurture`, each with its reason and its own clock. Every
decision is a `lead.routed`: who, why, which rule, which pool turn."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.opportunity.app.handoffs import decide
from services.opportunity.app.models import Handoff
from services.opportunity.app.uow import OpportunityUnitOfWork
from services.opportunity.domain.handshakes import person_of
from services.opportunity.settings import OpportunitySettings
from shared.assignment import Decision
from shared.errors import Conflict
from shared.events import LeadRouted, LeadScored

ROUTER = "automation:lead_route"
SALES, NURTURE, RECYCLE = "sales", "nurture", "recycle"
HAD_BY_SALES = ("sal", "sql", "opportunity")


async def on_lifecycle(
    uow: OpportunityUnitOfWork, settings: OpportunitySettings, event: LeadScored, *, now: datetime
) -> None:
    """A lifecycle change of a converted person: route an MQL, park a nurtured or recycled one."""
    moved = event.previous_lifecycle_stage not in (None, event.lifecycle_stage)
    if not settings.opportunity_lead_routing or not moved or not event.contact_id or not event.account_id:
        return
    if event.lifecycle_stage == "mql":
        await route_mql(uow, settings, event.contact_id, event.account_id, now=now)
    elif event.lifecycle_stage == NURTURE:
        route = RECYCLE if event.previous_lifecycle_stage in HAD_BY_SALES else NURTURE
        reason = event.lifecycle_reason or f"{event.previous_lifecycle_stage} to nurture"
        actor = event.lifecycle_actor or ROUTER
        await park(uow, settings, event.contact_id, event.account_id, route, reason, actor=actor, now=now)


async def route_mql(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    contact_id: str,
    account_id: str,
    *,
    now: datetime,
) -> Handoff | None:
    covering = next((o for o in await uow.opps.open_with_member(contact_id) if o.stage_owner), None)
    current = await uow.handoffs.current_of_contact(contact_id)
    if current is not None and current.stage == SALES:
        return None  # routed already
    if covering is not None:
        reason = (
            f"covered by the {covering.type} opp {covering.opp_id} in {covering.stage},"
            f" owned by {covering.stage_owner}"
        )
        await _close(uow, current, reason, now)
        _emit(uow, contact_id, account_id, SALES, Decision(covering.stage_owner, "opp_stage", reason), None)
        return None
    account = await uow.copies.account(account_id)
    pool_team = settings.opportunity_mql_pool_team
    decision = await decide(uow, "sales", account, now, account_id=account_id, pool_team=pool_team)
    reason = f"MQL not covered by an owned opp stage; {decision.reason}"
    await _close(uow, current, f"routed to sales: {reason}", now)
    due = now + timedelta(hours=settings.opportunity_mql_accept_hours)
    handoff = None
    if decision.rep_id is not None:
        team = "sales" if decision.rule == "account_owner" else pool_team
        handoff = _route(contact_id, account_id, SALES, team, decision, reason, now, due)
        await uow.handoffs.add(handoff)
    _emit(uow, contact_id, account_id, SALES, decision, due if handoff else None, reason=reason)
    return handoff


async def park(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    contact_id: str,
    account_id: str,
    route: str,
    reason: str,
    *,
    actor: str,
    now: datetime,
) -> Handoff:
    """Back to marketing: whatever route was open closes, and the nurture or recycle clock starts."""
    days = settings.opportunity_recycle_days if route == RECYCLE else settings.opportunity_nurture_days
    await _close(uow, await uow.handoffs.current_of_contact(contact_id), f"{route}: {reason}", now)
    decision = Decision(None, "lifecycle", f"{route} by {actor}: {reason}; marketing has {days:g} days")
    due = now + timedelta(days=days)
    handoff = _route(contact_id, account_id, route, "marketing", decision, decision.reason, now, due)
    await uow.handoffs.add(handoff)
    _emit(uow, contact_id, account_id, route, decision, due, actor=actor)
    return handoff


async def accept(uow: OpportunityUnitOfWork, contact_id: str, *, actor: str, now: datetime) -> Handoff:
    held = await uow.handoffs.current_of_contact(contact_id)
    if held is None or held.stage != SALES or held.status != "open":
        raise Conflict(f"No route of {contact_id} waits to be accepted.", field="contact_id")
    if person_of(actor) != held.owner:
        raise Conflict(
            f"The route is {held.owner}'s to accept, not {person_of(actor)}'s.", field="authorization"
        )
    accepted = held.model_copy(update={"status": "accepted", "accepted_at": now, "accepted_by": actor})
    await uow.handoffs.save(accepted)
    return accepted


def _route(
    contact_id: str,
    account_id: str,
    route: str,
    team: str,
    decision: Decision,
    reason: str,
    now: datetime,
    due: datetime,
) -> Handoff:
    return Handoff(
        handoff_id=str(uuid.uuid4()),
        kind="lead",
        contact_id=contact_id,
        account_id=account_id,
        stage=route,
        team=team,
        owner=decision.rep_id,
        pool_id=decision.pool_id,
        turn=decision.turn,
        rule=decision.rule,
        reason=reason,
        assigned_at=now,
        due_at=due,
    )


async def _close(uow: OpportunityUnitOfWork, held: Handoff | None, reason: str, now: datetime) -> None:
    if held is not None:
        await uow.handoffs.save(
            held.model_copy(update={"status": "closed", "closed_at": now, "closed_reason": reason})
        )


def _emit(
    uow: OpportunityUnitOfWork,
    contact_id: str,
    account_id: str,
    route: str,
    decision: Decision,
    due: datetime | None,
    *,
    reason: str | None = None,
    actor: str = ROUTER,
) -> None:
    uow.emit(
        LeadRouted(
            contact_id=contact_id,
            account_id=account_id,
            route=route,
            owner=decision.rep_id,
            due_at=due,
            reason=reason or decision.reason,
            rule=decision.rule,
            pool_id=decision.pool_id,
            turn=decision.turn,
            actor=actor,
        )
    )
