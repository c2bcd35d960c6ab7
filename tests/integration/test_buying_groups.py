"""Buying groups through the four services and the real broker: potential members until a person
confirms them, personas, several groups per account, customers, account engagement, people
identified onto an opp, stage time and field history."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import as_, make_settings
from tests.support.db import fetch
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually

WAIT = 120.0  # seconds: the pipeline shares two cores with everything else


@dataclass
class Pipeline:
    stack: InProcessStack
    domain: str
    database_url: str

    def api(self, name: str) -> httpx.AsyncClient:
        return self.stack.client(name)

    async def lead(self, local: str, **fields: Any) -> dict[str, Any]:
        """Post a lead of the company and wait for its conversion."""
        # The session's database holds other tests' companies: a name of its own, as the domain.
        body = {"email": f"{local}@{self.domain}", "company": self.domain.split(".")[0], **fields}
        posted = await self.api("ingest").post("/v1/leads", json=body)
        assert posted.status_code == 202, posted.text
        lead_id = posted.json()["lead_id"]

        async def converted() -> dict[str, Any] | None:
            match = (await self.api("matcher").get(f"/v1/leads/{lead_id}/match")).json()
            return match if match["status"] in ("matched", "account_created") else None

        return await eventually(converted, WAIT)

    async def opps(self, account_id: str, members: int = 0, **params: str) -> list[dict[str, Any]]:
        """The account's opps, once they hold `members` members in all."""

        async def found() -> list[dict[str, Any]]:
            listed = (
                await self.api("opportunity").get(
                    "/v1/opportunities", params={"account_id": account_id, **params}
                )
            ).json()
            return listed if listed and sum(len(o["contact_roles"]) for o in listed) >= members else []

        return await eventually(found, WAIT)

    async def opp(self, opp_id: str) -> dict[str, Any]:
        return dict((await self.api("opportunity").get(f"/v1/opportunities/{opp_id}")).json())

    async def confirm(self, opp_id: str, contact_id: str, role: str, who: str = "rita") -> None:
        path = f"/v1/opportunities/{opp_id}/contact-roles"
        confirmed = await self.api("opportunity").post(
            path, json={"contact_id": contact_id, "role": role}, headers=as_(who)
        )
        assert confirmed.status_code == 200, confirmed.text

    async def stage_is(self, opp_id: str, stage: str) -> None:
        async def there() -> bool:
            return (await self.opp(opp_id))["stage"] == stage

        await eventually(there, WAIT)


@pytest.fixture
async def pipeline(database_url: str, broker: Broker) -> AsyncIterator[Pipeline]:
    settings = make_settings(
        database_url,
        broker.bootstrap,
        opportunity_buying_group_keys=["analytics", "payments"],
        opportunity_group_by_campaign={"Payments launch": "payments"},
        opportunity_group_by_department={"engineering": "analytics"},
    )
    async with InProcessStack(settings) as stack:
        await stack.wait_connected()
        yield Pipeline(stack, f"initech-{uuid.uuid4().hex[:8]}.com", database_url)


async def test_converted_people_are_potential_until_a_person_confirms_one(pipeline: Pipeline) -> None:
    people = [await pipeline.lead(f"p{n}", title=title) for n, title in enumerate(["CFO", "", "", ""])]
    account_id = people[0]["account_id"]
    [opp] = await pipeline.opps(account_id, members=4)
    members = {m["contact_id"]: m for m in opp["contact_roles"]}
    assert {m["status"] for m in members.values()} == {"potential"} and len(members) == 4
    assert members[people[0]["contact_id"]]["suggested_role"] == "economic_buyer"

    api = pipeline.api("opportunity")
    refused = await api.post(f"/v1/opportunities/{opp['opp_id']}/stage", json={"stage": "active"})
    assert refused.status_code == 409 and refused.json()["gate"]["stage"] == "active"
    await pipeline.confirm(opp["opp_id"], people[1]["contact_id"], "champion", who="rita")
    moved = await api.post(
        f"/v1/opportunities/{opp['opp_id']}/stage", json={"stage": "active"}, headers=as_("sam")
    )
    assert moved.status_code == 200, moved.text
    detail = await pipeline.opp(opp["opp_id"])
    champion = next(m for m in detail["contact_roles"] if m["contact_id"] == people[1]["contact_id"])
    assert (champion["status"], champion["confirmed_by"]) == ("confirmed", "rita")
    assert detail["history"][-1]["actor"] == "sam"

    async def committee() -> dict[str, Any] | None:
        path = f"/v1/opportunities/{opp['opp_id']}/buying-group-engagement"
        group = (await pipeline.api("scoring").get(path)).json()
        return group if len(group.get("members", [])) == 1 else None

    group = await eventually(committee, WAIT)
    assert group["roles_covered"] == ["champion"] and len(group["potential"]) == 3

    async def lifecycle(contact_id: str) -> str:
        return str((await pipeline.api("scoring").get(f"/v1/scores/{contact_id}")).json()["lifecycle_stage"])

    async def champion_is_opportunity() -> bool:
        return await lifecycle(people[1]["contact_id"]) == "opportunity"

    await eventually(champion_is_opportunity, WAIT)
    assert await lifecycle(people[2]["contact_id"]) != "opportunity", "a potential member keeps its stage"


async def test_two_product_lines_give_two_buying_groups_and_people_land_on_theirs(pipeline: Pipeline) -> None:
    engineer = await pipeline.lead("eng", title="Software Engineer")
    payer = await pipeline.lead("pay", campaign="Payments launch")
    account_id = engineer["account_id"]
    opps = {o["buying_group_key"]: o for o in await pipeline.opps(account_id, members=2)}
    assert set(opps) == {"analytics", "payments"}
    assert [m["contact_id"] for m in opps["analytics"]["contact_roles"]] == [engineer["contact_id"]]
    assert [m["contact_id"] for m in opps["payments"]["contact_roles"]] == [payer["contact_id"]]


async def win(pipeline: Pipeline, opp_id: str, contacts: list[str]) -> None:
    api = pipeline.api("opportunity")
    for contact, role in zip(
        contacts, ("decision_maker", "economic_buyer", "champion", "influencer"), strict=True
    ):
        await pipeline.confirm(opp_id, contact, role)
    patched = await api.patch(
        f"/v1/opportunities/{opp_id}", json={"amount": 30000, "close_date": "2027-06-30", "term_months": 12}
    )
    assert patched.status_code == 200, patched.text
    won = await api.post(
        f"/v1/opportunities/{opp_id}/stage", json={"stage": "closed_won"}, headers=as_("olga")
    )
    assert won.status_code == 200, won.text


async def test_closed_won_makes_a_customer_and_the_next_person_joins_its_renewal(pipeline: Pipeline) -> None:
    people = [await pipeline.lead(f"w{n}") for n in range(4)]
    account_id = people[0]["account_id"]
    [opp] = await pipeline.opps(account_id, members=4)
    await win(pipeline, opp["opp_id"], [p["contact_id"] for p in people])

    async def customer() -> bool:
        return bool((await pipeline.api("matcher").get(f"/v1/accounts/{account_id}")).json()["is_customer"])

    await eventually(customer, WAIT)
    newcomer = await pipeline.lead("late")

    async def placed() -> set[str]:
        opps = (
            await pipeline.api("opportunity").get("/v1/opportunities", params={"account_id": account_id})
        ).json()
        joined = {
            o["type"] for o in opps for m in o["contact_roles"] if m["contact_id"] == newcomer["contact_id"]
        }
        return joined if "renewal" in joined else set()

    assert await eventually(placed, WAIT) == {"renewal", "upsell", "cross_sell"}
    acquisitions = await pipeline.opps(account_id, type="acquisition")
    assert len(acquisitions) == 1 and acquisitions[0]["stage"] == "closed_won"


async def engage(pipeline: Pipeline, local: str, kind: str = "email_click") -> None:
    body = {"email": f"{local}@{pipeline.domain}", "kind": kind}
    assert (await pipeline.api("ingest").post("/v1/engagements", json=body)).status_code == 202


async def test_account_engagement_then_a_hot_member_carry_the_opp_through_the_marketing_stages(
    pipeline: Pipeline,
) -> None:
    people = [await pipeline.lead(f"m{n}") for n in range(3)]
    [opp] = await pipeline.opps(people[0]["account_id"], members=3)
    opp_id = opp["opp_id"]
    await pipeline.confirm(opp_id, people[0]["contact_id"], "champion")
    await engage(pipeline, "m0")
    await pipeline.stage_is(opp_id, "active")
    await engage(pipeline, "m1", "webinar_attended")
    await pipeline.stage_is(opp_id, "engaged")
    for person, role in zip(people[1:], ("decision_maker", "economic_buyer"), strict=True):
        await pipeline.confirm(opp_id, person["contact_id"], role)
    prioritized = await pipeline.api("opportunity").post(
        f"/v1/opportunities/{opp_id}/stage", json={"stage": "prioritized"}, headers=as_("mia")
    )
    assert prioritized.status_code == 200, prioritized.text
    for n in range(8):  # meetings and calls: a score over 100
        await engage(pipeline, "m2", ("meeting", "call", "download", "form_submit")[n % 4])
    await pipeline.stage_is(opp_id, "qualified")
    actors = [h["actor"] for h in (await pipeline.opp(opp_id))["history"]]
    assert actors[1:] == ["automation:account_engagement"] * 2 + ["mia", "automation:score_threshold"]


async def test_people_identified_on_an_opp_arrive_through_the_pipeline(pipeline: Pipeline) -> None:
    first = await pipeline.lead("known")
    [opp] = await pipeline.opps(first["account_id"], members=1)
    people = [
        {
            "email": f"found@{pipeline.domain}",
            "first_name": "Fay",
            "title": "VP Finance",
            "role": "economic_buyer",
        },
        {"email": f"maybe@{pipeline.domain}", "title": "Analyst"},
    ]
    answered = await pipeline.api("opportunity").post(
        f"/v1/opportunities/{opp['opp_id']}/people", json=people, headers=as_("ann")
    )
    assert answered.status_code == 200, answered.text
    assert [o["outcome"] for o in answered.json()] == ["pending", "pending"]
    [placed] = await pipeline.opps(first["account_id"], members=3)
    by_status = {m["status"]: m for m in placed["contact_roles"] if m["contact_id"] != first["contact_id"]}
    assert (
        by_status["confirmed"]["role"] == "economic_buyer" and by_status["confirmed"]["confirmed_by"] == "ann"
    )
    assert by_status["potential"]["added_by"] == "ann"
    csv = f"email,title,role\ncsv@{pipeline.domain},CTO,technical_buyer\n".encode()
    from_csv = await pipeline.api("opportunity").post(
        f"/v1/opportunities/{opp['opp_id']}/people", content=csv, headers={"Content-Type": "text/csv"}
    )
    assert [o["outcome"] for o in from_csv.json()] == ["pending"], from_csv.text
    [placed] = await pipeline.opps(first["account_id"], members=4)
    assert {m["role"] for m in placed["contact_roles"]} >= {"economic_buyer", "technical_buyer"}
    bad = await pipeline.api("opportunity").post(
        f"/v1/opportunities/{opp['opp_id']}/people", json=[{"email": "x@y.z", "role": "boss"}]
    )
    assert bad.status_code == 422 and bad.json()["field"] == "role"


async def test_reentry_adds_to_stage_time_and_a_field_change_is_an_event(pipeline: Pipeline) -> None:
    person = await pipeline.lead("t0")
    [opp] = await pipeline.opps(person["account_id"], members=1)
    opp_id, api = opp["opp_id"], pipeline.api("opportunity")
    await pipeline.confirm(opp_id, person["contact_id"], "champion")
    for stage in ("active", "target", "active"):
        moved = await api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": stage})
        assert moved.status_code == 200, moved.text
    await api.patch(f"/v1/opportunities/{opp_id}", json={"amount": 100})
    await api.patch(f"/v1/opportunities/{opp_id}", json={"amount": 250}, headers=as_("ann"))
    detail = await pipeline.opp(opp_id)
    target, active = detail["stages"]["target"], detail["stages"]["active"]
    assert (target["entries"], active["entries"]) == (2, 2)
    assert target["last_exited"] and active["last_exited"] and target["seconds"] > 0
    assert [(c["field"], c["previous"], c["value"], c["actor"]) for c in detail["changes"]] == [
        ("amount", None, 100.0, "api"),
        ("amount", 100.0, 250.0, "ann"),
    ]
    sql = (
        "SELECT payload FROM opportunity.outbox"
        " WHERE headers->>'ce_type' = 'opp.updated' AND key = $1 ORDER BY seq"
    )
    [*_, last] = [json.loads(r[0]) for r in await fetch(pipeline.database_url, sql, opp_id)]
    assert (last["changed"], last["previous"], last["actor"]) == ({"amount": 250.0}, {"amount": 100.0}, "ann")
    aging = (await api.get("/v1/reports/aging", params={"type": "acquisition"})).json()
    mine = next(o for o in aging["oldest"] if o["opp_id"] == opp_id)
    assert mine["entries"] == 2 and mine["days_in_stage_total"] >= mine["days_in_stage"]
    velocity = (await api.get("/v1/reports/velocity", params={"type": "acquisition"})).json()
    target_row = next(r for r in velocity["stages"] if r["from_stage"] == "target")
    assert target_row["reentered"] >= 1 and target_row["median_days_in_stage"] is not None
