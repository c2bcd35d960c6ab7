"""The automations, each driven by real events through the broker, each switchable."""

from __future__ import annotations

from typing import Any

from tests.conftest import as_
from tests.integration.test_opportunity_api import World, running
from tests.support.db import scalar
from tests.support.infra import Broker
from tests.support.stack import eventually

ROLES = ("champion", "influencer", "technical_buyer", "economic_buyer", "decision_maker")


async def group_of(world: World, account: str, size: int) -> tuple[str, list[str]]:
    """An account's conversion-created opp with `size` contacts holding distinct committee roles."""
    contacts = [await world.converted(account) for _ in range(size)]
    [opp] = await world.opps(account)
    await world.contacts(account, size)
    for contact, role in zip(contacts, ROLES, strict=False):
        await world.api.post(
            f"/v1/opportunities/{opp['opp_id']}/contact-roles", json={"contact_id": contact, "role": role}
        )
    return opp["opp_id"], contacts


async def stage_of(world: World, opp_id: str) -> str:
    return str((await world.api.get(f"/v1/opportunities/{opp_id}")).json()["stage"])


async def test_conversion_creates_then_joins_the_open_acquisition_opp(
    database_url: str, broker: Broker
) -> None:
    async with running(database_url, broker) as world:
        account = await world.account()
        # Conversions of two leads travel on their own keys (partitions): no order between them,
        # so the second is sent once the first has founded the opp.
        first = await world.converted(account)
        [opp] = await world.opps(account)
        second = await world.converted(account)

        async def both() -> list[dict[str, Any]]:
            group = (await world.api.get(f"/v1/opportunities/{opp['opp_id']}")).json()["contact_roles"]
            return group if len(group) == 2 else []

        group = await eventually(both)
        assert [(m["contact_id"], m["role"], m["status"], m["primary"]) for m in group] == [
            (first, None, "potential", True),
            (second, None, "potential", False),
        ]
        assert [m["added_by"] for m in group] == [
            "automation:lead_converted",
            "automation:inbound_identification",
        ]
        assert opp["owner"] == "olga" and opp["created_by"] == "automation:lead_converted"


async def test_conversion_policy_never_creates_no_opp(database_url: str, broker: Broker) -> None:
    async with running(database_url, broker, opportunity_creation_policy="never") as world:
        account = await world.account()
        await world.converted(account)
        await world.contacts(account, 1)
        count = "SELECT count(*) FROM opportunity.opportunities WHERE account_id = $1"
        assert await scalar(database_url, count, account) == 0


async def test_a_hot_member_moves_the_opp_to_the_sdr_stage_through_its_gate(
    database_url: str, broker: Broker
) -> None:
    async with running(database_url, broker) as world:
        account = await world.account()
        opp_id, contacts = await group_of(world, account, 2)
        api = world.api
        assert (
            await api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "prioritized"})
        ).status_code == 200

        # 2 of 3 roles: the qualified gate refuses the automation as it would a person.
        await world.scored(contacts[0], 150.0, version=1)
        applied = "SELECT score FROM opportunity.contact_scores WHERE contact_id = $1"
        await eventually(lambda: scalar(database_url, applied, contacts[0]))
        assert await stage_of(world, opp_id) == "prioritized"

        # A third role: the next score over the threshold moves it, with the rule as the actor.
        third = await world.converted(account)
        await world.contacts(account, 3)
        await api.post(
            f"/v1/opportunities/{opp_id}/contact-roles", json={"contact_id": third, "role": "technical_buyer"}
        )

        async def moved() -> bool:
            return await stage_of(world, opp_id) == "qualified"

        await eventually(moved)  # the member was already hot: joining re-checks
        history = (await api.get(f"/v1/opportunities/{opp_id}")).json()["history"]
        assert history[-1]["actor"] == "automation:score_threshold"


async def test_a_score_at_the_threshold_is_not_over_it(database_url: str, broker: Broker) -> None:
    async with running(database_url, broker) as world:
        account = await world.account()
        opp_id, contacts = await group_of(world, account, 3)
        await world.api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "prioritized"})
        await world.scored(contacts[1], 100.0, version=1)
        applied = "SELECT score FROM opportunity.contact_scores WHERE contact_id = $1"
        await eventually(lambda: scalar(database_url, applied, contacts[1]))
        assert await stage_of(world, opp_id) == "prioritized"
        await world.scored(contacts[1], 100.5, version=2)

        async def moved() -> bool:
            return await stage_of(world, opp_id) == "qualified"

        await eventually(moved)


async def test_score_automation_switched_off(database_url: str, broker: Broker) -> None:
    async with running(database_url, broker, opportunity_score_automation=False) as world:
        account = await world.account()
        opp_id, contacts = await group_of(world, account, 3)
        await world.api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "prioritized"})
        await world.scored(contacts[0], 500.0, version=1)
        applied = "SELECT score FROM opportunity.contact_scores WHERE contact_id = $1"
        await eventually(lambda: scalar(database_url, applied, contacts[0]))
        assert await stage_of(world, opp_id) == "prioritized"


async def win(
    world: World, opp_id: str, *, close_date: str, term: int | None, amount: float
) -> dict[str, Any]:
    api = world.api
    body: dict[str, Any] = {"amount": amount, "close_date": close_date, "owner": "olga"}
    if term is not None:
        body["term_months"] = term
    await api.patch(f"/v1/opportunities/{opp_id}", json=body)
    response = await api.post(
        f"/v1/opportunities/{opp_id}/stage", json={"stage": "closed_won"}, headers=as_("olga")
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["opportunity"])


async def test_closed_won_creates_the_renewal_and_expansion_opps(database_url: str, broker: Broker) -> None:
    async with running(database_url, broker) as world:
        account = await world.account(csm="cara", owner="olga")
        opp_id, contacts = await group_of(world, account, 4)
        await world.api.post(
            f"/v1/opportunities/{opp_id}/contact-roles",
            json={"contact_id": contacts[3], "role": "economic_buyer"},
        )
        await win(world, opp_id, close_date="2028-02-29", term=12, amount=48000.0)
        opps = {o["type"]: o for o in await world.opps(account, 4)}
        assert set(opps) == {"acquisition", "renewal", "upsell", "cross_sell"}
        renewal = opps["renewal"]
        assert renewal["close_date"] == "2029-02-28" and renewal["amount"] == 48000.0
        assert renewal["owner"] == "cara" and renewal["term_months"] == 12 and renewal["stage"] == "upcoming"
        assert (
            renewal["source_opp_id"] == opp_id and renewal["created_by"] == "automation:renewal_on_closed_won"
        )
        won_group = (await world.api.get(f"/v1/opportunities/{opp_id}")).json()["contact_roles"]
        for kind in ("renewal", "upsell", "cross_sell"):
            copied = {(m["contact_id"], m["role"], m["primary"]) for m in opps[kind]["contact_roles"]}
            assert copied == {(m["contact_id"], m["role"], m["primary"]) for m in won_group}
        assert opps["upsell"]["created_by"] == "automation:expansion_on_closed_won"
        assert opps["upsell"]["owner"] == "olga" and opps["upsell"]["stage"] == "identified"

        # The renewal, won in turn, renews again from its own close date and term.
        renewal_id = renewal["opp_id"]
        await world.api.patch(f"/v1/opportunities/{renewal_id}", json={"term_months": 1})
        await world.api.post(f"/v1/opportunities/{renewal_id}/stage", json={"stage": "closed_won"})
        again = [o for o in await world.opps(account, 2, type="renewal") if o["source_opp_id"] == renewal_id]
        assert again[0]["close_date"] == "2029-03-31"  # Feb 28 is a month end: so is the renewal's date
        # The upsell and cross-sell opps from the first win are still open: no second pair.
        assert sorted(o["type"] for o in await world.opps(account, 5)) == [
            "acquisition",
            "cross_sell",
            "renewal",
            "renewal",
            "upsell",
        ]


async def test_renewal_without_csm_and_default_term_expansion_off(database_url: str, broker: Broker) -> None:
    overrides = {"opportunity_expansion_automation": False, "opportunity_default_term_months": 24}
    async with running(database_url, broker, **overrides) as world:
        account = await world.account(owner="olga")
        opp_id, contacts = await group_of(world, account, 4)
        await world.api.post(
            f"/v1/opportunities/{opp_id}/contact-roles",
            json={"contact_id": contacts[3], "role": "economic_buyer"},
        )
        await win(world, opp_id, close_date="2026-01-31", term=None, amount=1.0)
        [renewal] = await world.opps(account, 1, type="renewal")
        assert renewal["close_date"] == "2028-01-31" and renewal["owner"] == "olga"
        types = {o["type"] for o in await world.opps(account, 2)}
        assert types == {"acquisition", "renewal"}


async def test_renewal_automation_switched_off(database_url: str, broker: Broker) -> None:
    overrides = {"opportunity_renewal_automation": False, "opportunity_upsell_enabled": False}
    async with running(database_url, broker, **overrides) as world:
        account = await world.account(owner="olga")
        opp_id, contacts = await group_of(world, account, 4)
        await world.api.post(
            f"/v1/opportunities/{opp_id}/contact-roles",
            json={"contact_id": contacts[3], "role": "economic_buyer"},
        )
        await win(world, opp_id, close_date="2026-06-30", term=12, amount=1.0)
        types = sorted(o["type"] for o in await world.opps(account, 2))
        assert types == ["acquisition", "cross_sell"]
