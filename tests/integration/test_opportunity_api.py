"""The opportunity service on a real database and broker: moves, gates, stamps, buying groups."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from shared.events import AccountCreated, Event, LeadConverted, LeadScored
from tests.conftest import API_KEY, as_, make_settings
from tests.support.db import fetch
from tests.support.events import publish as publish_versioned
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually


async def publish(broker: Broker, prefix: str, *events: Event, version: int = 1) -> None:
    await publish_versioned(broker, prefix, *((event, version) for event in events))


@dataclass
class World:
    stack: InProcessStack
    broker: Broker
    database_url: str
    prefix: str

    @property
    def api(self) -> httpx.AsyncClient:
        return self.stack.client("opportunity")

    async def account(self, **fields: Any) -> str:
        account_id = str(uuid.uuid4())
        await publish(self.broker, self.prefix, AccountCreated(account_id=account_id, name="Acme", **fields))
        return account_id

    async def converted(self, account_id: str, *, owner: str | None = "olga") -> str:
        contact_id = str(uuid.uuid4())
        event = LeadConverted(
            lead_id=str(uuid.uuid4()),
            contact_id=contact_id,
            account_id=account_id,
            account_created=False,
            method="email_domain",
            confidence=1.0,
            explanation="test",
            owner=owner,
            email=f"{contact_id[:8]}@acme.example",
        )
        await publish(self.broker, self.prefix, event)
        return contact_id

    async def scored(self, contact_id: str, score: float, version: int) -> None:
        event = LeadScored(
            person_id=contact_id,
            lead_id=contact_id,
            contact_id=contact_id,
            score=score,
            fit=score,
            behaviour=0.0,
            lifecycle_stage="mql",
            reasons=[],
        )
        await publish(self.broker, self.prefix, event, version=version)

    async def opps(self, account_id: str, count: int = 1, **params: str) -> list[dict[str, Any]]:
        async def found() -> list[dict[str, Any]]:
            listed = (
                await self.api.get("/v1/opportunities", params={"account_id": account_id, **params})
            ).json()
            return listed if len(listed) >= count else []

        return await eventually(found)

    async def contacts(self, account_id: str, count: int) -> None:
        query = "SELECT count(*) FROM opportunity.contacts WHERE account_id = $1"

        async def arrived() -> bool:
            return bool((await fetch(self.database_url, query, account_id))[0][0] >= count)

        await eventually(arrived)

    async def events(self, ce_type: str, opp_id: str) -> list[dict[str, Any]]:
        rows = await fetch(
            self.database_url,
            "SELECT payload FROM opportunity.outbox WHERE headers->>'ce_type' = $1 AND key = $2 ORDER BY seq",
            ce_type,
            opp_id,
        )
        return [json.loads(r[0]) for r in rows]


@asynccontextmanager
async def running(database_url: str, broker: Broker, **overrides: Any) -> AsyncIterator[World]:
    """The opportunity service alone, fed by events this test publishes."""
    settings = make_settings(database_url, broker.bootstrap, **overrides)
    async with InProcessStack(settings, names=("opportunity",)) as stack:
        await stack.wait_connected()
        yield World(stack, broker, database_url, settings["kafka_topic_prefix"])


@pytest.fixture
async def world(database_url: str, broker: Broker) -> AsyncIterator[World]:
    async with running(database_url, broker) as running_world:
        yield running_world


async def test_moves_through_gates_with_stamps_history_and_events(world: World) -> None:
    account = await world.account()
    first = await world.converted(account)
    [opp] = await world.opps(account)
    opp_id = opp["opp_id"]
    assert opp["stage"] == "target" and opp["created_by"] == "automation:lead_converted"
    more = [await world.converted(account) for _ in range(3)]
    await world.contacts(account, 4)
    api = world.api

    # Two committee roles cannot enter qualified (stage 5 of 6): skipping there is refused at its gate.
    await api.post(
        f"/v1/opportunities/{opp_id}/contact-roles", json={"contact_id": first, "role": "champion"}
    )
    await api.post(
        f"/v1/opportunities/{opp_id}/contact-roles", json={"contact_id": more[0], "role": "influencer"}
    )
    refused = await api.post(
        f"/v1/opportunities/{opp_id}/stage", json={"stage": "qualified"}, headers=as_("sam")
    )
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["gate"]["stage"] == "qualified" and problem["reason"] == "gate_failed"
    assert problem["detail"] == (
        "the gate of 'qualified' needs roles 1 more of Decision Maker, Economic Buyer, Technical Buyer; "
        "has 2 of 3 committee roles (moving through active, engaged, prioritized, qualified)"
    )

    # Skipping through gates that hold is allowed; the skipped stages get no stamp.
    moved = await api.post(
        f"/v1/opportunities/{opp_id}/stage", json={"stage": "prioritized"}, headers=as_("sam")
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["kind"] == "skip" and body["skipped"] == ["active", "engaged"]
    assert set(body["opportunity"]["stamps"]) == {"target", "prioritized"}

    # Backward is allowed and recorded; the first-entry stamp is kept.
    first_prioritized = body["opportunity"]["stamps"]["prioritized"]
    back = (
        await api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "engaged"}, headers=as_("sam"))
    ).json()
    assert back["kind"] == "backward"
    again = await api.post(
        f"/v1/opportunities/{opp_id}/stage", json={"stage": "prioritized"}, headers=as_("sam")
    )
    assert again.json()["opportunity"]["stamps"]["prioritized"] == first_prioritized

    # The pipeline gate wants the economic buyer, 4 roles, amount and close date.
    await api.post(
        f"/v1/opportunities/{opp_id}/contact-roles", json={"contact_id": more[1], "role": "technical_buyer"}
    )
    assert (
        await api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "qualified"})
    ).status_code == 200
    refused = (await api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "pipeline"})).json()
    assert refused["status"] == 409
    assert refused["gate"]["missing_roles"] == ["economic_buyer"]
    assert refused["gate"]["missing_fields"] == ["amount", "close_date"]
    await api.post(
        f"/v1/opportunities/{opp_id}/contact-roles", json={"contact_id": more[2], "role": "economic_buyer"}
    )
    patched = await api.patch(
        f"/v1/opportunities/{opp_id}",
        json={
            "amount": 40000,
            "close_date": "2027-01-31",
            "term_months": 12,
            "next_step": "demo",
            "next_step_owner": "sam",
            "next_step_due": "2026-12-01",
        },
    )
    assert patched.status_code == 200 and patched.json()["next_step_owner"] == "sam"
    assert (
        await api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "pipeline"})
    ).status_code == 200

    unknown = await api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "demo"})
    assert unknown.status_code == 422 and unknown.json()["reason"] == "unknown_stage"

    lost = await api.post(
        f"/v1/opportunities/{opp_id}/stage", json={"stage": "closed_lost"}, headers=as_("sam")
    )
    assert lost.json()["kind"] == "close" and lost.json()["opportunity"]["closed_at"]
    closed = await api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "pipeline"})
    assert closed.status_code == 409 and closed.json()["reason"] == "closed"

    detail = (await api.get(f"/v1/opportunities/{opp_id}")).json()
    assert [(h["from_stage"], h["to_stage"], h["actor"]) for h in detail["history"]] == [
        (None, "target", "automation:lead_converted"),
        ("target", "prioritized", "sam"),
        ("prioritized", "engaged", "sam"),
        ("engaged", "prioritized", "sam"),
        ("prioritized", "qualified", "api"),
        ("qualified", "pipeline", "api"),
        ("pipeline", "closed_lost", "sam"),
    ]
    assert set(detail["stamps"]) == {
        "target",
        "prioritized",
        "engaged",
        "qualified",
        "pipeline",
        "closed_lost",
    }
    events = await world.events("opp.stage_changed", opp_id)
    assert [(e["from_stage"], e["to_stage"], e["kind"]) for e in events] == [
        (None, "target", "created"),
        ("target", "prioritized", "skip"),
        ("prioritized", "engaged", "backward"),
        ("engaged", "prioritized", "forward"),
        ("prioritized", "qualified", "forward"),
        ("qualified", "pipeline", "forward"),
        ("pipeline", "closed_lost", "close"),
    ]
    assert events[1]["skipped"] == ["active", "engaged"]


async def test_contact_roles_add_change_primary_remove_with_history_and_events(world: World) -> None:
    account = await world.account()
    first = await world.converted(account)
    [opp] = await world.opps(account)
    opp_id = opp["opp_id"]
    second = await world.converted(account)
    await world.contacts(account, 2)
    api = world.api
    roles = f"/v1/opportunities/{opp_id}/contact-roles"

    async def group() -> list[dict[str, Any]]:
        current = (await api.get(f"/v1/opportunities/{opp_id}")).json()["contact_roles"]
        return current if len(current) == 2 else []

    assert [(m["contact_id"], m["primary"], m["status"]) for m in await eventually(group)] == [
        (first, True, "potential"),
        (second, False, "potential"),
    ]
    changed = (await api.post(roles, json={"contact_id": second, "role": "champion"})).json()
    assert changed["change"] == "changed"
    same = (await api.post(roles, json={"contact_id": second, "role": "champion"})).json()
    assert same["change"] is None
    primary = (await api.post(f"{roles}/{second}/primary")).json()
    assert {(m["contact_id"], m["role"], m["primary"]) for m in primary["contact_roles"]} == {
        (first, None, False),
        (second, "champion", True),
    }
    champion = next(m for m in primary["contact_roles"] if m["contact_id"] == second)
    assert (champion["status"], champion["confirmed_by"], champion["added_by"]) == (
        "confirmed",
        "api",
        "automation:inbound_identification",
    )
    bad = await api.post(roles, json={"contact_id": second, "role": "buyer"})
    assert bad.status_code == 422 and bad.json()["field"] == "role"
    nobody = await api.post(roles, json={"contact_id": "nobody", "role": "user"})
    assert nobody.status_code == 422 and nobody.json()["field"] == "contact_id"
    removed = await api.delete(f"{roles}/{first}", headers=as_("rita"))
    assert removed.status_code == 200 and [m["contact_id"] for m in removed.json()["contact_roles"]] == [
        second
    ]
    assert (await api.delete(f"{roles}/{first}")).status_code == 404

    history = (await api.get(f"{roles}/history")).json()
    assert [(h["contact_id"], h["change"], h["role"], h["primary"], h["actor"]) for h in history] == [
        (first, "added", None, True, "automation:lead_converted"),
        (second, "added", None, False, "automation:inbound_identification"),
        (second, "changed", "champion", False, "api"),
        (first, "changed", None, False, "api"),
        (second, "changed", "champion", True, "api"),
        (first, "removed", None, False, "rita"),
    ]
    emitted = await world.events("opp.contact_role_changed", opp_id)
    assert [(e["contact_id"], e["change"], e["primary"]) for e in emitted] == [
        (h["contact_id"], h["change"], h["primary"]) for h in history
    ]

    # One person in several buying groups, with different roles.
    other = (
        await api.post("/v1/opportunities", json={"contact_id": second, "type": "upsell", "role": "user"})
    ).json()
    assert other["type"] == "upsell" and other["contact_roles"][0]["primary"] is True
    groups = (await api.get(f"/v1/contacts/{second}/opportunities")).json()
    assert {(g["type"], g["role"]) for g in groups} == {("acquisition", "champion"), ("upsell", "user")}


async def test_create_update_and_list_with_filters(world: World) -> None:
    account = await world.account(owner="olga")

    async def known() -> bool:
        rows = await fetch(
            world.database_url, "SELECT 1 FROM opportunity.accounts WHERE account_id = $1", account
        )
        return bool(rows)

    await eventually(known)
    api = world.api
    created = await api.post(
        "/v1/opportunities",
        json={
            "account_id": account,
            "amount": 1000,
            "owner": "olga",
            "close_date": "2027-06-30",
        },
        headers=as_("rita"),
    )
    assert created.status_code == 201, created.text
    opp = created.json()
    assert opp["created_by"] == "rita" and opp["history"][0]["actor"] == "rita"
    assert opp["stage"] == "target" and opp["contact_roles"] == [] and list(opp["stamps"]) == ["target"]
    twice = await api.post("/v1/opportunities", json={"account_id": account})
    assert twice.status_code == 409
    upsell = (
        await api.post("/v1/opportunities", json={"account_id": account, "type": "upsell", "owner": "ned"})
    ).json()
    assert upsell["stage"] == "identified"

    for body, field in (
        ({}, "account_id"),
        ({"account_id": "nope"}, "account_id"),
        ({"account_id": account, "type": "merger"}, "type"),
        ({"account_id": account, "amount": -1}, "amount"),
        ({"account_id": account, "colour": "red"}, "colour"),
    ):
        response = await api.post("/v1/opportunities", json=body)
        assert response.status_code == 422, (body, response.text)
        problem = response.json()
        assert field in json.dumps(problem), problem

    patched = await api.patch(f"/v1/opportunities/{opp['opp_id']}", json={"amount": 2500.5, "owner": "ned"})
    assert patched.json()["amount"] == 2500.5 and patched.json()["owner"] == "ned"
    assert patched.json()["close_date"] == "2027-06-30" and patched.json()["version"] == 2
    assert (await api.patch(f"/v1/opportunities/{opp['opp_id']}", json={"term_months": 0})).status_code == 422
    assert (await api.patch("/v1/opportunities/missing", json={"amount": 1})).status_code == 404

    by_owner = (await api.get("/v1/opportunities", params={"account_id": account, "owner": "ned"})).json()
    assert {o["type"] for o in by_owner} == {"acquisition", "upsell"}
    by_type = (await api.get("/v1/opportunities", params={"account_id": account, "type": "upsell"})).json()
    assert [o["opp_id"] for o in by_type] == [upsell["opp_id"]]
    closed = (await api.get("/v1/opportunities", params={"account_id": account, "open": "false"})).json()
    assert closed == []
    assert (await api.get("/v1/opportunities", params={"type": "merger"})).status_code == 422


async def test_the_console_acts_for_its_signed_in_person_and_a_reader_cannot_change(
    database_url: str, broker: Broker
) -> None:
    console, reader = f"console-{uuid.uuid4().hex}", f"reader-{uuid.uuid4().hex}"
    keys = [API_KEY, f"console:console={console}", f"reports:read={reader}"]
    async with running(database_url, broker, api_keys=keys) as world:
        account = await world.account()
        contact = await world.converted(account)
        await world.contacts(account, 1)
        [opp] = await world.opps(account)
        roles = f"/v1/opportunities/{opp['opp_id']}/contact-roles"
        role = {"contact_id": contact, "role": "champion"}
        refused = await world.api.post(roles, json=role, headers={"Authorization": f"Bearer {reader}"})
        assert refused.status_code == 403 and "write" in refused.json()["detail"]
        as_rita = {"Authorization": f"Bearer {console}", "X-Cascade-On-Behalf-Of": "Rita Moreno"}
        confirmed = (await world.api.post(roles, json=role, headers=as_rita)).json()
        [member] = confirmed["contact_roles"]
        assert member["confirmed_by"] == "Rita Moreno (via console)"
        claimed = {"X-Cascade-On-Behalf-Of": "Someone Else"}  # only the console's key may say so
        await world.api.post(roles, json={**role, "role": "influencer"}, headers=claimed)
        history = (await world.api.get(f"{roles}/history")).json()
        assert [(c["role"], c["actor"]) for c in history if c["role"]] == [
            ("champion", "Rita Moreno (via console)"),
            ("influencer", "api"),
        ]
