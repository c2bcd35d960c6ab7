"""The opportunity service's use cases and handlers against its unit of work in memory."""

from __future__ import annotations

from datetime import date

import pytest

from services.opportunity.app import opportunities
from services.opportunity.app.handlers import on_account_changed, on_lead_converted, on_lead_scored
from services.opportunity.settings import OpportunitySettings
from shared.errors import Conflict, Invalid, NotFound
from shared.events import AccountCreated, AccountUpdated, LeadConverted, LeadScored
from tests.support.fakes import envelope
from tests.unit.opportunity.fakes import FakeOpportunityUnitOfWork

SETTINGS = OpportunitySettings()
MONEY = {"amount": 50_000.0, "close_date": date(2027, 3, 31)}


def converted(n: int, account_id: str = "a1") -> LeadConverted:
    return LeadConverted(
        lead_id=f"lead-{n}",
        contact_id=f"c{n}",
        account_id=account_id,
        account_created=n == 1,
        method="email_domain",
        confidence=1.0,
        explanation="",
        owner="ann",
        email=f"p{n}@acme.com",
    )


async def account(uow: FakeOpportunityUnitOfWork, version: int = 1, **fields: object) -> None:
    event = AccountCreated(account_id="a1", name="Acme", **fields)  # type: ignore[arg-type]
    await on_account_changed(event, envelope(event, version), uow, SETTINGS)


async def with_contacts(n: int, settings: OpportunitySettings = SETTINGS) -> FakeOpportunityUnitOfWork:
    uow = FakeOpportunityUnitOfWork()
    await account(uow)
    for i in range(1, n + 1):
        await on_lead_converted(converted(i), envelope(converted(i)), uow, settings)
    return uow


async def test_an_older_account_event_changes_nothing() -> None:
    uow = FakeOpportunityUnitOfWork()
    await account(uow, 2, csm="cy")
    stale = AccountUpdated(account_id="a1", name="Acme", csm="old")
    await on_account_changed(stale, envelope(stale, 1), uow, SETTINGS)
    assert uow.copies.accounts["a1"].csm == "cy"


async def test_conversions_found_one_acquisition_opp_and_join_its_buying_group() -> None:
    uow = await with_contacts(2)
    [opp] = uow.opps.rows.values()
    assert (opp.type, opp.stage, opp.owner) == ("acquisition", "target", "ann")
    members = await uow.groups.members([opp.opp_id])
    assert [(m.contact_id, m.is_primary) for m in members] == [("c1", True), ("c2", False)]
    assert uow.types() == ["opp.created", "opp.stage_changed", *["opp.contact_role_changed"] * 2]


async def test_no_opp_when_the_policy_says_never() -> None:
    uow = await with_contacts(1, OpportunitySettings(opportunity_creation_policy="never"))
    assert not uow.opps.rows and "c1" in uow.copies.contacts


async def prioritized(uow: FakeOpportunityUnitOfWork, roles: tuple[str, ...]) -> str:
    [opp] = uow.opps.rows.values()
    for n, role in enumerate(roles, start=1):
        await opportunities.set_contact_role(
            uow, SETTINGS, opp.opp_id, f"c{n}", role, primary=None, actor="sdr"
        )
    await opportunities.move(uow, SETTINGS, opp.opp_id, "prioritized", actor="sdr")
    return opp.opp_id


def scored(contact: str, score: float, version: int) -> tuple[LeadScored, object]:
    event = LeadScored(
        person_id="p",
        lead_id="p",
        contact_id=contact,
        score=score,
        fit=0,
        behaviour=score,
        lifecycle_stage="mql",
        reasons=[],
    )
    return event, envelope(event, version)


async def test_a_hot_member_moves_the_opp_to_the_sdr_stage_when_its_gate_holds() -> None:
    uow = await with_contacts(3)
    opp_id = await prioritized(uow, ("decision_maker", "champion", "economic_buyer"))
    event, meta = scored("c2", 120, 1)
    await on_lead_scored(event, meta, uow, SETTINGS)  # type: ignore[arg-type]
    assert uow.opps.rows[opp_id].stage == "qualified"
    assert uow.opps.history[-1].actor == "automation:score_threshold"


async def test_a_hot_member_does_not_move_an_opp_whose_next_gate_fails() -> None:
    uow = await with_contacts(2)
    opp_id = await prioritized(uow, ("decision_maker", "champion"))
    event, meta = scored("c1", 120, 1)
    await on_lead_scored(event, meta, uow, SETTINGS)  # type: ignore[arg-type]
    assert uow.opps.rows[opp_id].stage == "prioritized"


async def test_a_move_names_the_gate_it_fails_and_an_unknown_stage_is_invalid() -> None:
    uow = await with_contacts(1)
    [opp] = uow.opps.rows.values()
    with pytest.raises(Conflict) as refused:
        await opportunities.move(uow, SETTINGS, opp.opp_id, "qualified", actor="ann")
    assert refused.value.reason == "gate_failed" and refused.value.extra["gate"]["stage"] == "prioritized"
    with pytest.raises(Invalid) as unknown:
        await opportunities.move(uow, SETTINGS, opp.opp_id, "demo", actor="ann")
    assert unknown.value.title == "Unknown stage"
    with pytest.raises(NotFound):
        await opportunities.move(uow, SETTINGS, "nothing", "active", actor="ann")


async def test_closed_won_creates_the_renewal_with_the_buying_group_and_the_csm() -> None:
    uow = FakeOpportunityUnitOfWork()
    await account(uow, csm="cy")
    for n in range(1, 5):
        await on_lead_converted(converted(n), envelope(converted(n)), uow, SETTINGS)
    [opp] = uow.opps.rows.values()
    await opportunities.update(uow, opp.opp_id, {**MONEY, "term_months": 12})
    for n, role in enumerate(("decision_maker", "economic_buyer", "champion", "influencer"), start=1):
        await opportunities.set_contact_role(
            uow, SETTINGS, opp.opp_id, f"c{n}", role, primary=None, actor="ae"
        )
    await opportunities.move(uow, SETTINGS, opp.opp_id, "pipeline", actor="ae")
    await opportunities.move(uow, SETTINGS, opp.opp_id, "closed_won", actor="ae")
    renewal = next(o for o in uow.opps.rows.values() if o.type == "renewal")
    assert (renewal.owner, renewal.amount, renewal.close_date) == ("cy", 50_000.0, date(2028, 3, 31))
    assert len(await uow.groups.members([renewal.opp_id])) == 4


async def test_creating_refuses_what_cannot_be_and_a_second_acquisition_opp() -> None:
    uow = await with_contacts(1)
    for given in ({"account_id": "a1", "contact_id": "c1"}, {"account_id": "nowhere", "contact_id": None}):
        with pytest.raises(Invalid):
            await opportunities.create(uow, SETTINGS, opp_type="acquisition", role=None, actor="ann", **given)
    with pytest.raises(Invalid) as role:
        await opportunities.create(
            uow, SETTINGS, account_id="a1", contact_id=None, opp_type="renewal", role="boss", actor="ann"
        )
    assert role.value.field == "role"
    with pytest.raises(Conflict):
        await opportunities.create(
            uow, SETTINGS, account_id="a1", contact_id=None, opp_type="acquisition", role=None, actor="ann"
        )


async def test_a_buying_group_keeps_one_primary_and_refuses_unknown_roles_and_members() -> None:
    uow = await with_contacts(2)
    [opp] = uow.opps.rows.values()
    assert await opportunities.mark_primary(uow, opp.opp_id, "c2") == "changed"
    assert [m.contact_id for m in await uow.groups.members([opp.opp_id]) if m.is_primary] == ["c2"]
    with pytest.raises(Invalid):
        await opportunities.set_contact_role(uow, SETTINGS, opp.opp_id, "c1", "boss", primary=None, actor="x")
    await opportunities.remove_contact_role(uow, opp.opp_id, "c1", actor="ann")
    with pytest.raises(NotFound):
        await opportunities.remove_contact_role(uow, opp.opp_id, "c1", actor="ann")
    assert [c.change for c in uow.groups.history][-1] == "removed"
