"""The opportunity service's use cases and handlers against its unit of work in memory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.opportunity.app import identification, opportunities
from services.opportunity.app.handlers import (
    on_account_changed,
    on_engagement_recorded,
    on_lead_converted,
    on_lead_scored,
)
from services.opportunity.settings import OpportunitySettings
from shared.errors import Conflict, Invalid, NotFound
from shared.events import AccountCreated, AccountUpdated, EngagementRecorded, LeadConverted, LeadScored
from tests.support.fakes import envelope
from tests.unit.opportunity.fakes import FakeOpportunityUnitOfWork

SETTINGS = OpportunitySettings()
PRODUCTS = OpportunitySettings(
    opportunity_buying_group_keys=["analytics", "payments"],
    opportunity_group_by_campaign={"Payments launch": "payments"},
    opportunity_group_by_department={"finance": "payments", "engineering": "analytics"},
)
MONEY = {"amount": 50_000.0, "close_date": date(2027, 3, 31)}
NOW = datetime.now(UTC)


def converted(n: int, account_id: str = "a1", **person: Any) -> LeadConverted:
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
        **person,
    )


async def account(uow: FakeOpportunityUnitOfWork, version: int = 1, **fields: Any) -> None:
    event = AccountCreated(account_id="a1", name="Acme", **fields)
    await on_account_changed(event, envelope(event, version), uow, SETTINGS)


async def convert(
    uow: FakeOpportunityUnitOfWork, n: int, settings: OpportunitySettings = SETTINGS, **person: Any
) -> None:
    event = converted(n, **person)
    await on_lead_converted(event, envelope(event), uow, settings)


async def with_contacts(n: int, settings: OpportunitySettings = SETTINGS) -> FakeOpportunityUnitOfWork:
    uow = FakeOpportunityUnitOfWork()
    await account(uow)
    for i in range(1, n + 1):
        await convert(uow, i, settings)
    return uow


def the_opp(uow: FakeOpportunityUnitOfWork, opp_type: str = "acquisition", key: str | None = None) -> str:
    [opp] = [o for o in uow.opps.rows.values() if o.type == opp_type and o.buying_group_key == key]
    return opp.opp_id


async def confirm(uow: FakeOpportunityUnitOfWork, opp_id: str, *roles: str, by: str = "sdr") -> None:
    for n, role in enumerate(roles, start=1):
        await opportunities.set_contact_role(uow, SETTINGS, opp_id, f"c{n}", role, primary=None, actor=by)


async def test_an_older_account_event_changes_nothing() -> None:
    uow = FakeOpportunityUnitOfWork()
    await account(uow, 2, csm="cy")
    stale = AccountUpdated(account_id="a1", name="Acme", csm="old")
    await on_account_changed(stale, envelope(stale, 1), uow, SETTINGS)
    assert uow.copies.accounts["a1"].csm == "cy"


async def test_conversions_map_potential_members_and_a_gate_waits_for_a_person_to_confirm_one() -> None:
    uow = await with_contacts(4)
    opp_id = the_opp(uow)
    members = await uow.groups.members([opp_id])
    assert [(m.contact_id, m.status, m.role) for m in members] == [
        (f"c{n}", "potential", None) for n in range(1, 5)
    ]
    assert {m.added_by for m in members} == {"automation:lead_converted", "automation:inbound_identification"}
    with pytest.raises(Conflict) as refused:
        await opportunities.move(uow, SETTINGS, opp_id, "active", actor="mia")
    assert refused.value.extra["gate"]["stage"] == "active"
    await confirm(uow, opp_id, "champion", by="rita")
    await opportunities.move(uow, SETTINGS, opp_id, "active", actor="mia")
    champion = await uow.groups.member(opp_id, "c1")
    assert champion is not None and (champion.status, champion.confirmed_by) == ("confirmed", "rita")


async def test_the_persona_table_suggests_economic_buyer_for_a_cfo() -> None:
    uow = FakeOpportunityUnitOfWork()
    await account(uow)
    await convert(uow, 1, title="CFO", seniority="c_level", department="finance")
    [member] = await uow.groups.members([the_opp(uow)])
    assert (member.status, member.suggested_role) == ("potential", "economic_buyer")
    assert "finance" in (member.suggested_reason or "")
    assert uow.events("opp.contact_role_changed")[0]["suggested_role"] == "economic_buyer"


async def test_two_product_lines_are_two_buying_groups_and_a_person_lands_on_the_right_one() -> None:
    uow = FakeOpportunityUnitOfWork()
    await account(uow)
    await convert(uow, 1, PRODUCTS, department="engineering")
    await convert(uow, 2, PRODUCTS, campaign="Payments launch")
    await convert(uow, 3, PRODUCTS, department="finance")
    analytics, payments = the_opp(uow, key="analytics"), the_opp(uow, key="payments")
    assert [m.contact_id for m in await uow.groups.members([analytics])] == ["c1"]
    assert [m.contact_id for m in await uow.groups.members([payments])] == ["c2", "c3"]


async def test_a_person_no_rule_places_joins_every_open_group_as_potential() -> None:
    uow = FakeOpportunityUnitOfWork()
    await account(uow)
    await convert(uow, 1, PRODUCTS, department="engineering")
    await convert(uow, 2, PRODUCTS, department="finance")
    await convert(uow, 3, PRODUCTS, department="sales")
    assert len(uow.opps.rows) == 2 and len([m for m in uow.groups.rows if m[1] == "c3"]) == 2


async def won(uow: FakeOpportunityUnitOfWork, opp_id: str) -> None:
    await opportunities.update(uow, opp_id, {**MONEY, "term_months": 12}, actor="ae")
    await confirm(uow, opp_id, "decision_maker", "economic_buyer", "champion", "influencer")
    await opportunities.move(uow, SETTINGS, opp_id, "pipeline", actor="ae")
    await opportunities.move(uow, SETTINGS, opp_id, "closed_won", actor="ae")


async def test_closed_won_creates_the_renewal_and_the_next_person_joins_it_not_a_new_acquisition() -> None:
    uow = FakeOpportunityUnitOfWork()
    await account(uow, csm="cy")
    for n in range(1, 5):
        await convert(uow, n)
    await won(uow, the_opp(uow))
    renewal = next(o for o in uow.opps.rows.values() if o.type == "renewal")
    assert (renewal.owner, renewal.amount, renewal.close_date) == ("cy", 50_000.0, date(2028, 3, 31))
    assert {m.status for m in await uow.groups.members([renewal.opp_id])} == {"confirmed"}
    await convert(uow, 5)
    assert [o.type for o in uow.opps.rows.values()].count("acquisition") == 1
    joined = {o for o, c in uow.groups.rows if c == "c5"}
    assert {uow.opps.rows[o].type for o in joined} == {"renewal", "upsell", "cross_sell"}


def engagement(n: int, at: datetime = NOW, kind: str = "email_click") -> EngagementRecorded:
    return EngagementRecorded(
        engagement_id=f"e{n}-{kind}",
        lead_id=f"lead-{n}",
        email="x",
        kind=kind,
        occurred_at=at,  # type: ignore[arg-type]
    )


async def engage(uow: FakeOpportunityUnitOfWork, n: int, **more: Any) -> None:
    event = engagement(n, **more)
    await on_engagement_recorded(event, envelope(event), uow, SETTINGS)


async def test_account_engagement_moves_target_to_active_to_engaged_through_the_gates() -> None:
    uow = await with_contacts(2)
    opp_id = the_opp(uow)
    await engage(uow, 1)
    assert uow.opps.rows[opp_id].stage == "target", "active's gate needs a confirmed role"
    await confirm(uow, opp_id, "champion")
    assert uow.opps.rows[opp_id].stage == "active", "the confirmation let the automation through"
    await engage(uow, 2, at=NOW - timedelta(days=31))
    assert uow.opps.rows[opp_id].stage == "active", "an engagement outside the window does not count"
    await engage(uow, 2, kind="page_view")
    assert uow.opps.rows[opp_id].stage == "engaged"
    assert uow.opps.history[-1].actor == "automation:account_engagement"


async def test_a_hot_member_moves_prioritized_to_qualified_once_roles_are_confirmed() -> None:
    uow = await with_contacts(3)
    opp_id = the_opp(uow)
    await confirm(uow, opp_id, "decision_maker", "champion")
    await opportunities.move(uow, SETTINGS, opp_id, "prioritized", actor="mia")
    hot = LeadScored(
        person_id="p",
        lead_id="p",
        contact_id="c3",
        score=120,
        fit=0,
        behaviour=120,
        lifecycle_stage="mql",
        reasons=[],
    )
    await on_lead_scored(hot, envelope(hot, 1), uow, SETTINGS)
    assert uow.opps.rows[opp_id].stage == "prioritized", "qualified needs three confirmed roles"
    await opportunities.set_contact_role(
        uow, SETTINGS, opp_id, "c3", "economic_buyer", primary=None, actor="sdr"
    )
    assert uow.opps.rows[opp_id].stage == "qualified"


async def test_unconfirming_keeps_the_member_and_drops_its_role_from_the_gates() -> None:
    uow = await with_contacts(1)
    opp_id = the_opp(uow)
    await confirm(uow, opp_id, "champion")
    assert await opportunities.unconfirm(uow, opp_id, "c1", actor="rita") == "changed"
    [member] = await uow.groups.members([opp_id])
    assert (member.status, member.role, member.suggested_role) == ("potential", None, "champion")
    with pytest.raises(Conflict):
        await opportunities.move(uow, SETTINGS, opp_id, "active", actor="mia")
    assert [c.status for c in uow.groups.history] == ["potential", "confirmed", "potential"]


async def test_a_field_change_is_kept_and_emitted_with_what_it_was() -> None:
    uow = await with_contacts(1)
    opp_id = the_opp(uow)
    await opportunities.update(uow, opp_id, {"amount": 10.0}, actor="ae")
    await opportunities.update(uow, opp_id, {"amount": 20.0, "owner": "ann"}, actor="bo")
    [first, second] = uow.events("opp.updated")
    assert second["changed"] == {"amount": 20.0} and second["previous"] == {"amount": 10.0}
    assert second["actor"] == "bo" and first["previous"] == {"amount": None}
    assert [(c.field, c.value, c.actor) for c in uow.opps.changes] == [
        ("amount", 10.0, "ae"),
        ("amount", 20.0, "bo"),
    ]


async def test_people_identified_on_an_opp_join_now_or_when_they_convert_onto_its_account() -> None:
    uow = await with_contacts(1)
    opp_id = the_opp(uow)
    people = [
        identification.PersonIn("P1@acme.com", role="champion"),
        identification.PersonIn("new@acme.com"),
    ]
    people.append(identification.PersonIn("far@other.com", role="user"))
    outcomes = await identification.identify_people(uow, SETTINGS, opp_id, people, actor="research", now=NOW)
    assert [o.outcome for o in outcomes] == ["added", "pending", "pending"]
    assert uow.types().count("person.identified") == 2
    member = await uow.groups.member(opp_id, "c1")
    assert member is not None and (member.role, member.confirmed_by) == ("champion", "research")
    newcomer = converted(7).model_copy(update={"email": "new@acme.com", "contact_id": "c7"})
    await on_lead_converted(newcomer, envelope(newcomer), uow, SETTINGS)
    elsewhere = converted(8, "a2").model_copy(update={"email": "far@other.com", "contact_id": "c8"})
    await on_lead_converted(elsewhere, envelope(elsewhere), uow, SETTINGS)
    statuses = {p.email: p.status for p in await uow.identified.of_opp(opp_id)}
    assert statuses == {"new@acme.com": "added", "far@other.com": "refused"}
    assert (await uow.groups.member(opp_id, "c7")) is not None and not any(
        c == "c8" for _, c in uow.groups.rows
    )


async def test_refusals_name_the_field() -> None:
    uow = await with_contacts(1)
    for given in ({"account_id": "a1", "contact_id": "c1"}, {"account_id": "nowhere", "contact_id": None}):
        with pytest.raises(Invalid):
            await opportunities.create(uow, SETTINGS, opp_type="acquisition", role=None, actor="ann", **given)
    with pytest.raises(Invalid) as role:
        await opportunities.create(
            uow, SETTINGS, account_id="a1", contact_id=None, opp_type="renewal", role="boss", actor="ann"
        )
    assert role.value.field == "role"
    with pytest.raises(Invalid) as key:
        await opportunities.create(
            uow,
            PRODUCTS,
            account_id="a1",
            contact_id=None,
            opp_type="acquisition",
            role=None,
            actor="ann",
            buying_group_key="hardware",
        )
    assert key.value.field == "buying_group_key"
    with pytest.raises(Conflict):
        await opportunities.create(
            uow, SETTINGS, account_id="a1", contact_id=None, opp_type="acquisition", role=None, actor="ann"
        )
    with pytest.raises(NotFound):
        await opportunities.remove_contact_role(uow, the_opp(uow), "c9", actor="ann")
    with pytest.raises(Invalid):
        await identification.identify_people(
            uow, SETTINGS, the_opp(uow), [identification.PersonIn("a@b.c", role="boss")], actor="x", now=NOW
        )
