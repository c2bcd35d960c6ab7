"""Lead routes against the unit of work in memory: an MQL no owned opp stage covers goes to a
person with an accept-by time; nurture and recycle have reasons and clocks; each decision is a
`lead.routed` naming who, why, the rule and the pool turn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.opportunity.app import escalation, opportunities, routes
from services.opportunity.app.handlers import on_lead_scored
from services.opportunity.settings import OpportunitySettings
from shared.errors import Conflict
from shared.events import LeadScored
from tests.support.fakes import envelope
from tests.unit.opportunity.fakes import FakeOpportunityUnitOfWork
from tests.unit.opportunity.test_app import account, convert
from tests.unit.opportunity.test_handoffs import pool, prioritized, rep

NEVER = OpportunitySettings(opportunity_creation_policy="never")


def scored(stage: str, previous: str | None, contact: str = "c1", **fields: object) -> LeadScored:
    return LeadScored(
        person_id=contact,
        lead_id=f"lead-{contact}",
        contact_id=contact,
        account_id="a1",
        score=60,
        fit=30,
        behaviour=30,
        lifecycle_stage=stage,
        previous_lifecycle_stage=previous,
        reasons=[],
        **fields,  # type: ignore[arg-type]
    )


async def heard(uow: FakeOpportunityUnitOfWork, event: LeadScored, version: int = 1) -> None:
    await on_lead_scored(event, envelope(event, version), uow, NEVER)


async def world(owner: str | None) -> FakeOpportunityUnitOfWork:
    """A German account without opps, a converted person, an SDR pool."""
    uow = FakeOpportunityUnitOfWork()
    await account(uow, owner=owner, country="DE")
    await convert(uow, 1, NEVER)
    await rep(uow, "ann", "sales")
    await rep(uow, "sid", "sdr")
    await rep(uow, "sue", "sdr")
    await pool(uow, "sdr-de", "sdr", {"sid": 1, "sue": 1}, countries=["DE"])
    return uow


async def test_an_mql_goes_to_the_active_ae_with_an_accept_by_time() -> None:
    uow = await world("ann")
    await heard(uow, scored("mql", "prospect"))
    [routed] = uow.events("lead.routed")
    assert (routed["route"], routed["owner"], routed["rule"]) == ("sales", "ann", "account_owner")
    assert "not covered by an owned opp stage" in routed["reason"] and routed["due_at"] is not None
    with pytest.raises(Conflict, match="ann's to accept"):
        await routes.accept(uow, "c1", actor="sid", now=datetime.now(UTC))
    accepted = await routes.accept(uow, "c1", actor="ann", now=datetime.now(UTC))
    assert accepted.status == "accepted"
    await heard(uow, scored("mql", "prospect"), 2)
    assert len(uow.events("lead.routed")) == 1, "routed already"


async def test_without_an_ae_the_mql_goes_round_robin_in_the_territory_pool() -> None:
    uow = await world(None)
    await heard(uow, scored("mql", "prospect"))
    [handoff] = await uow.handoffs.of_contact("c1")
    assert (handoff.owner, handoff.team, handoff.pool_id, handoff.turn) == ("sid", "sdr", "sdr-de", 1)
    assert "weighted round-robin in pool sdr-de" in handoff.reason


async def test_an_mql_on_an_opp_someone_owns_is_covered_by_it() -> None:
    uow, opp_id = await prioritized()
    await opportunities.move(uow, OpportunitySettings(), opp_id, "qualified", actor="rita")
    await heard(uow, scored("mql", "prospect"))
    [routed] = uow.events("lead.routed")
    assert (routed["owner"], routed["rule"]) == ("sid", "opp_stage") and opp_id in routed["reason"]
    assert await uow.handoffs.of_contact("c1") == []


@pytest.mark.parametrize(
    ("previous", "route", "days"), [("sql", "recycle", 60), ("sal", "recycle", 60), ("mql", "nurture", 90)]
)
async def test_back_to_nurture_is_recycle_when_sales_had_them_each_with_its_clock(
    previous: str, route: str, days: int
) -> None:
    uow = await world("ann")
    await heard(uow, scored("mql", "prospect"))
    reason = {"lifecycle_reason": "project slipped to next year", "lifecycle_actor": "ann"}
    await heard(uow, scored("nurture", previous, **reason), 2)
    sales, parked = await uow.handoffs.of_contact("c1")
    assert sales.status == "closed" and sales.closed_reason == f"{route}: project slipped to next year"
    assert (parked.stage, parked.team, parked.owner, parked.rule) == (route, "marketing", None, "lifecycle")
    assert parked.due_at is not None and parked.due_at - parked.assigned_at == timedelta(days=days)
    routed = uow.events("lead.routed")[-1]
    assert (routed["route"], routed["actor"]) == (route, "ann") and "project slipped" in routed["reason"]


async def test_an_unaccepted_mql_escalates_then_goes_to_the_next_in_the_pool() -> None:
    uow = await world(None)
    await heard(uow, scored("mql", "prospect"))
    now = datetime.now(UTC)
    assert await escalation.escalate(uow, NEVER, now + timedelta(hours=25)) == 1
    [escalated] = uow.events("lead.route_escalated")
    assert (escalated["contact_id"], escalated["owner"]) == ("c1", "sid")
    assert await escalation.reassign(uow, NEVER, now + timedelta(hours=50)) == 1
    old, new = await uow.handoffs.of_contact("c1")
    assert (old.status, new.owner, new.status) == ("reassigned", "sue", "open")
    routed = uow.events("lead.routed")[-1]
    assert routed["owner"] == "sue" and routed["reason"].startswith("reassigned: sid did not accept")


async def test_a_nurture_clock_that_runs_out_closes_the_route() -> None:
    uow = await world("ann")
    await heard(uow, scored("nurture", "mql"))
    assert await escalation.escalate(uow, NEVER, datetime.now(UTC) + timedelta(days=91)) == 1
    [parked] = await uow.handoffs.of_contact("c1")
    assert parked.status == "closed" and "the nurture clock ran out" in (parked.closed_reason or "")
    assert uow.events("lead.routed")[-1]["rule"] == "clock_expired"
    assert uow.events("lead.route_escalated") == []


async def test_a_score_without_a_lifecycle_change_routes_nothing() -> None:
    uow = await world("ann")
    await heard(uow, scored("mql", "mql"))
    await heard(uow, scored("mql", None), 2)
    assert uow.events("lead.routed") == []
