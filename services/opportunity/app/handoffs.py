"""Handshakes: at a boundary between teams the opp gets its stage owner (the account's AE or CSM,
or the next available person of the team's pool for the account's territory), a next step, its
owner and due date, and an open handoff the owner accepts in time or sees escalated."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from services.opportunity.app.fields import change_fields
from services.opportunity.app.models import AccountCopy, Handoff, Opportunity
from services.opportunity.app.uow import OpportunityUnitOfWork
from services.opportunity.domain.handshakes import (
    is_boundary,
    named_owner,
    next_step,
    next_step_due,
    person_of,
)
from services.opportunity.settings import OpportunitySettings
from shared.assignment import Decision, Workload, choose, pool_for, pool_of, rep_of
from shared.errors import Conflict, NotFound
from shared.telemetry import instruments
from shared.territory import Place

HANDOFF = "automation:handoff"


async def decide(
    uow: OpportunityUnitOfWork,
    team: str,
    account: AccountCopy | None,
    now: datetime,
    *,
    account_id: str,
    exclude: frozenset[str] = frozenset(),
    named: bool = True,
    pool_team: str | None = None,
) -> Decision:
    """The person for the team's work on this account: whom the account names while active, else
    the team's (or `pool_team`'s) pool for the account's territory (weighted round-robin over
    who is available)."""
    pool_team = pool_team or team
    prefix = ""
    who = named_owner(team, account.owner, account.csm) if account and named else None
    if who is not None and who.rep_id not in exclude:
        known = await uow.teams.reps([who.rep_id])
        if not known or known[0].active:
            return Decision(who.rep_id, who.rule, f"the account's {who.label} {who.rep_id}")
        prefix = f"the account's {who.label} {who.rep_id} is inactive; "
    place = Place.of(account.country, account.employees) if account else Place()
    pool = pool_for([pool_of(p) for p in await uow.teams.pools(pool_team)], pool_team, place)
    if pool is None:
        return Decision(None, "no_pool", f"{prefix}no {pool_team} pool covers {place.describe()}")
    reps = {r.rep_id: rep_of(r) for r in await uow.teams.reps([m.rep_id for m in pool.members])}
    work = Workload(
        counts=await uow.handoffs.turn_counts(pool.pool_id, pool.turn),
        open_work=await uow.handoffs.open_work(list(reps)),
        last_for_account=await uow.handoffs.last_owner(account_id, pool.pool_id) if pool.sticky else None,
        exclude=exclude,
    )
    decision = choose(pool, reps, work, now, place)
    return replace(decision, reason=prefix + decision.explain())


async def hand_over(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    opp: Opportunity,
    from_stage: str | None,
    *,
    now: datetime,
    given: dict[str, Any] | None = None,
    actor: str = HANDOFF,
) -> Handoff | None:
    """After a move (or a creation): a boundary closes the open handoff and opens the new team's
    (a stage owner the mover names opens one within a team too); a closed stage closes it; a
    move within one team keeps it, with the next step the mover gives."""
    pipeline = settings.pipelines[opp.type]
    stage = pipeline.stage(opp.stage)
    given = {k: v for k, v in (given or {}).items() if v is not None}
    named = given.get("stage_owner") not in (None, opp.stage_owner)
    if not stage.closed and not named and not is_boundary(pipeline, from_stage, opp.stage):
        if given:
            await change_fields(uow, opp, given, actor=actor, now=now)
        return None
    if from_stage is not None:  # a new opp has no handoff to close
        why = f"{actor} handed it to {given['stage_owner']}" if named else f"the opp moved to {opp.stage}"
        await _close_open(uow, opp.opp_id, why, now)
    if stage.closed:
        return None
    if "stage_owner" in given:
        decision = Decision(given["stage_owner"], "named_by_mover", f"named by {actor} on the move")
    else:
        account = await uow.copies.account(opp.account_id)
        decision = await decide(uow, stage.team, account, now, account_id=opp.account_id)
    handoff = None
    if decision.rep_id is not None:
        handoff = _handoff(opp, stage.team, decision, now, settings.opportunity_accept_hours)
        await uow.handoffs.add(handoff)
        instruments.domain_counter("handoffs", "Handoffs at stage boundaries, by team and rule.").add(
            1, {"team": stage.team, "rule": decision.rule}
        )
    changes = {
        "stage_owner": decision.rep_id,
        "next_step": given.get("next_step", next_step(stage) if decision.rep_id else None),
        "next_step_owner": given.get("next_step_owner", decision.rep_id),
        "next_step_due": given.get(
            "next_step_due",
            next_step_due(stage, now, settings.opportunity_accept_hours) if decision.rep_id else None,
        ),
    }
    await change_fields(uow, opp, changes, actor=HANDOFF, now=now, reason=decision.reason)
    return handoff


def _handoff(opp: Opportunity, team: str, decision: Decision, now: datetime, accept_hours: float) -> Handoff:
    return Handoff(
        handoff_id=str(uuid.uuid4()),
        kind="stage",
        opp_id=opp.opp_id,
        account_id=opp.account_id,
        stage=opp.stage,
        team=team,
        owner=decision.rep_id,
        pool_id=decision.pool_id,
        turn=decision.turn,
        rule=decision.rule,
        reason=decision.reason,
        assigned_at=now,
        due_at=now + timedelta(hours=accept_hours),
    )


async def _close_open(uow: OpportunityUnitOfWork, opp_id: str, reason: str, now: datetime) -> None:
    held = await uow.handoffs.current_of_opp(opp_id)
    if held is not None:
        await uow.handoffs.save(
            held.model_copy(update={"status": "closed", "closed_at": now, "closed_reason": reason})
        )


async def accept(uow: OpportunityUnitOfWork, opp_id: str, *, actor: str, now: datetime) -> Handoff:
    """The stage owner takes the handoff; anyone else is refused, naming whose it is."""
    opp = await uow.opps.get(opp_id, lock=True)
    if opp is None:
        raise NotFound(f"No opportunity {opp_id}.")
    held = await uow.handoffs.current_of_opp(opp_id)
    if held is None or held.status != "open":
        done = f" ({held.owner} accepted it)" if held else ""
        raise Conflict(f"No handoff of opportunity {opp_id} waits to be accepted{done}.", field="opp_id")
    if person_of(actor) != held.owner:
        raise Conflict(
            f"The handoff is {held.owner}'s to accept, not {person_of(actor)}'s.", field="authorization"
        )
    return await _accepted(uow, held, actor, now)


async def accept_by_activity(
    uow: OpportunityUnitOfWork, opp: Opportunity, actor: str, *, now: datetime
) -> None:
    """Anything the stage owner records on the opp accepts their handoff."""
    held = await uow.handoffs.current_of_opp(opp.opp_id)
    if held is not None and held.status == "open" and held.owner == person_of(actor):
        await _accepted(uow, held, actor, now)


async def _accepted(uow: OpportunityUnitOfWork, held: Handoff, actor: str, now: datetime) -> Handoff:
    accepted = held.model_copy(update={"status": "accepted", "accepted_at": now, "accepted_by": actor})
    await uow.handoffs.save(accepted)
    return accepted
