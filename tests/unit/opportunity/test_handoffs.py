"""Handshakes against the unit of work in memory: the stage owner at each boundary between teams,
the next step it sets, acceptance, escalation and reassignment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.opportunity.app import escalation, handoffs, opportunities
from services.opportunity.app.handlers import on_pool_updated, on_rep_updated
from services.opportunity.settings import OpportunitySettings
from shared.errors import Conflict
from shared.events import PoolUpdated, RepUpdated
from tests.support.fakes import envelope
from tests.unit.opportunity.fakes import FakeOpportunityUnitOfWork
from tests.unit.opportunity.test_app import MONEY, account, convert, the_opp

SETTINGS = OpportunitySettings()
ROLES = ("decision_maker", "economic_buyer", "champion", "influencer")


async def rep(
    uow: FakeOpportunityUnitOfWork, rep_id: str, team: str, version: int = 1, **fields: Any
) -> None:
    event = RepUpdated(rep_id=rep_id, name=rep_id.title(), team=team, **fields)  # type: ignore[arg-type]
    await on_rep_updated(event, envelope(event, version), uow, SETTINGS)


async def pool(
    uow: FakeOpportunityUnitOfWork, pool_id: str, team: str, members: dict[str, int], **fields: Any
) -> None:
    listed = [{"rep_id": r, "weight": w} for r, w in members.items()]
    event = PoolUpdated(pool_id=pool_id, name=pool_id, team=team, members=listed, **fields)  # type: ignore[arg-type]
    await on_pool_updated(event, envelope(event, fields.get("turn", 1)), uow, SETTINGS)


async def prioritized(owner: str | None = "ann") -> tuple[FakeOpportunityUnitOfWork, str]:
    """An acquisition opp of a German account in the last marketing stage, its committee confirmed."""
    uow = FakeOpportunityUnitOfWork()
    await account(uow, owner=owner, country="DE", employees=300)
    for n in range(1, 5):
        await convert(uow, n)
    opp_id = the_opp(uow)
    for n, role in enumerate(ROLES, start=1):
        await opportunities.set_contact_role(uow, SETTINGS, opp_id, f"c{n}", role, primary=None, actor="rita")
    await opportunities.update(uow, opp_id, dict(MONEY), actor="rita")
    await opportunities.move(uow, SETTINGS, opp_id, "prioritized", actor="rita")
    await rep(uow, "ann", "sales")
    for sdr in ("sid", "sue"):
        await rep(uow, sdr, "sdr")
    await pool(uow, "sdr-dach", "sdr", {"sid": 2, "sue": 1}, countries=["DE", "AT"])
    await pool(uow, "sdr-world", "sdr", {"sue": 1})
    return uow, opp_id


async def test_entering_qualified_hands_the_opp_to_an_sdr_of_the_territory_pool() -> None:
    uow, opp_id = await prioritized()
    await opportunities.move(uow, SETTINGS, opp_id, "qualified", actor="rita")
    opp = uow.opps.rows[opp_id]
    assert opp.stage_owner == "sid" and opp.next_step_owner == "sid"
    assert opp.next_step and "qualified" in opp.next_step
    assert opp.next_step_due == (datetime.now(UTC) + timedelta(days=7)).date(), "the stage's SLA"
    [handoff] = await uow.handoffs.of_opp(opp_id)
    assert (handoff.team, handoff.pool_id, handoff.rule, handoff.turn) == (
        "sdr",
        "sdr-dach",
        "round_robin",
        1,
    )
    assert "weighted round-robin in pool sdr-dach" in handoff.reason and handoff.status == "open"
    updated = uow.events("opp.updated")[-1]
    assert updated["changed"]["stage_owner"] == "sid" and "sdr-dach" in updated["reason"]
    assert updated["actor"] == handoffs.HANDOFF


async def test_pipeline_gives_it_to_the_accounts_owner_and_closes_the_sdrs_handoff() -> None:
    uow, opp_id = await prioritized()
    await opportunities.move(uow, SETTINGS, opp_id, "qualified", actor="rita")
    await opportunities.move(uow, SETTINGS, opp_id, "pipeline", actor="sid")
    sdr, ae = await uow.handoffs.of_opp(opp_id)
    assert sdr.status == "closed" and sdr.closed_reason == "the opp moved to pipeline"
    assert (ae.owner, ae.rule, ae.team) == ("ann", "account_owner", "sales")
    assert uow.opps.rows[opp_id].stage_owner == "ann"
    await opportunities.move(uow, SETTINGS, opp_id, "closed_won", actor="ann")
    assert (await uow.handoffs.of_opp(opp_id))[1].status == "closed"


async def test_an_out_of_office_sdr_is_skipped_and_an_inactive_ae_replaced_from_the_pool() -> None:
    uow, opp_id = await prioritized()
    await rep(uow, "sid", "sdr", 2, out_of_office_from=datetime.now(UTC) - timedelta(hours=1))
    await opportunities.move(uow, SETTINGS, opp_id, "qualified", actor="rita")
    [handoff] = await uow.handoffs.of_opp(opp_id)
    assert handoff.owner == "sue" and "sid skipped: out of office" in handoff.reason
    await rep(uow, "ann", "sales", 2, active=False)
    await rep(uow, "al", "sales")
    await pool(uow, "ae-de", "sales", {"ann": 1, "al": 1}, countries=["DE"])
    await opportunities.move(uow, SETTINGS, opp_id, "pipeline", actor="sue")
    ae = (await uow.handoffs.of_opp(opp_id))[-1]
    assert ae.owner == "al" and ae.pool_id == "ae-de"
    assert ae.reason.startswith("the account's owner ann is inactive; weighted round-robin")


async def test_what_the_mover_gives_wins_and_a_move_within_the_team_keeps_the_handoff() -> None:
    uow, opp_id = await prioritized()
    given = {"stage_owner": "sue", "next_step": "Call the CFO", "next_step_due": date(2030, 1, 1)}
    await opportunities.move(uow, SETTINGS, opp_id, "qualified", actor="rita", given=given)
    opp = uow.opps.rows[opp_id]
    assert (opp.stage_owner, opp.next_step, opp.next_step_due) == ("sue", "Call the CFO", date(2030, 1, 1))
    [handoff] = await uow.handoffs.of_opp(opp_id)
    assert handoff.rule == "named_by_mover"
    await opportunities.move(uow, SETTINGS, opp_id, "engaged", actor="rita")  # back to marketing
    assert uow.opps.rows[opp_id].stage_owner is None and handoff.handoff_id in uow.handoffs.rows
    await opportunities.move(uow, SETTINGS, opp_id, "active", actor="rita")
    assert len(await uow.handoffs.of_opp(opp_id)) == 1, "marketing to marketing: no boundary"


async def test_the_owner_accepts_others_are_refused_and_the_owners_activity_accepts() -> None:
    uow, opp_id = await prioritized()
    await opportunities.move(uow, SETTINGS, opp_id, "qualified", actor="rita")
    with pytest.raises(Conflict, match="sid's to accept"):
        await handoffs.accept(uow, opp_id, actor="sue", now=datetime.now(UTC))
    accepted = await handoffs.accept(uow, opp_id, actor="sid (via console)", now=datetime.now(UTC))
    assert accepted.status == "accepted" and accepted.accepted_by == "sid (via console)"
    with pytest.raises(Conflict, match="sid accepted it"):
        await handoffs.accept(uow, opp_id, actor="sid", now=datetime.now(UTC))
    await opportunities.move(uow, SETTINGS, opp_id, "pipeline", actor="sid")
    await opportunities.update(uow, opp_id, {"next_step": "Send the proposal"}, actor="ann")
    assert (await uow.handoffs.of_opp(opp_id))[-1].status == "accepted", "the AE's own change"


async def test_unaccepted_it_escalates_then_goes_to_the_next_in_the_pool() -> None:
    uow, opp_id = await prioritized()
    await opportunities.move(uow, SETTINGS, opp_id, "qualified", actor="rita")
    now = datetime.now(UTC)
    assert await escalation.escalate(uow, SETTINGS, now + timedelta(hours=23)) == 0
    assert await escalation.escalate(uow, SETTINGS, now + timedelta(hours=25)) == 1
    assert await escalation.escalate(uow, SETTINGS, now + timedelta(hours=26)) == 0, "once"
    [escalated] = uow.events("opp.handoff_escalated")
    assert (escalated["owner"], escalated["stage"], escalated["team"]) == ("sid", "qualified", "sdr")
    assert escalated["overdue_by_seconds"] > 3500
    assert await escalation.reassign(uow, SETTINGS, now + timedelta(hours=48)) == 0
    assert await escalation.reassign(uow, SETTINGS, now + timedelta(hours=50)) == 1
    old, new = await uow.handoffs.of_opp(opp_id)
    assert old.status == "reassigned" and "sid did not accept within 24h" in (old.closed_reason or "")
    assert new.owner == "sue" and new.reason.startswith("reassigned: sid did not accept")
    assert "sid skipped: already had it" in new.reason
    [reassigned] = uow.events("opp.handoff_reassigned")
    assert (reassigned["from_owner"], reassigned["to_owner"]) == ("sid", "sue")
    opp = uow.opps.rows[opp_id]
    assert (opp.stage_owner, opp.next_step_owner) == ("sue", "sue")


async def test_without_anyone_else_an_escalated_handoff_stays_with_its_owner() -> None:
    uow, opp_id = await prioritized()
    await pool(uow, "sdr-dach", "sdr", {"sid": 1}, countries=["DE"], turn=2)
    await opportunities.move(uow, SETTINGS, opp_id, "qualified", actor="rita")
    now = datetime.now(UTC)
    await escalation.escalate(uow, SETTINGS, now + timedelta(hours=25))
    assert await escalation.reassign(uow, SETTINGS, now + timedelta(hours=50)) == 0
    [handoff] = await uow.handoffs.of_opp(opp_id)
    assert handoff.owner == "sid" and handoff.status == "open" and handoff.escalated_at is not None


async def test_an_older_rep_or_pool_event_changes_nothing() -> None:
    uow = FakeOpportunityUnitOfWork()
    await rep(uow, "sid", "sdr", 3, capacity=5)
    await rep(uow, "sid", "sdr", 2, capacity=1)
    [held] = await uow.teams.reps(["sid"])
    assert held.capacity == 5


async def test_within_a_team_the_movers_next_step_applies_and_a_named_owner_takes_over() -> None:
    uow, opp_id = await prioritized()
    await opportunities.move(uow, SETTINGS, opp_id, "engaged", actor="rita", given={"next_step": "Webinar"})
    assert uow.opps.rows[opp_id].next_step == "Webinar" and await uow.handoffs.of_opp(opp_id) == []
    await opportunities.move(uow, SETTINGS, opp_id, "active", actor="rita", given={"stage_owner": "mo"})
    [named] = await uow.handoffs.of_opp(opp_id)
    assert (named.owner, named.rule, named.team) == ("mo", "named_by_mover", "marketing")
    assert uow.opps.rows[opp_id].stage_owner == "mo"
    await opportunities.move(uow, SETTINGS, opp_id, "engaged", actor="mo", given={"stage_owner": "max"})
    first, second = await uow.handoffs.of_opp(opp_id)
    assert first.closed_reason == "mo handed it to max" and second.owner == "max"
