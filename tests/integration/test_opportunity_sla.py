"""SLA breaches: found by the background scan, recorded and emitted exactly once per stay."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from services.opportunity.app.sla import scan_breaches
from services.opportunity.domain.pipelines import DEFAULT_PIPELINES
from services.opportunity.settings import OpportunitySettings
from tests.integration.test_opportunity_api import World, running
from tests.support.db import scalar
from tests.support.infra import Broker
from tests.support.stack import eventually


def acquisition_with_sla(stage: str, hours: float) -> list[dict[str, Any]]:
    stages = []
    for s in DEFAULT_PIPELINES["acquisition"].stages:
        raw = asdict(s)
        raw.update(raw.pop("gate"))
        if s.name == stage:
            raw["sla_hours"] = hours
        stages.append(raw)
    return stages


async def opp_in_active(world: World) -> str:
    account = await world.account()
    contact = await world.converted(account)
    [opp] = await world.opps(account)
    roles = f"/v1/opportunities/{opp['opp_id']}/contact-roles"
    confirmed = await world.api.post(roles, json={"contact_id": contact, "role": "champion"})
    assert confirmed.status_code == 200, confirmed.text
    moved = await world.api.post(f"/v1/opportunities/{opp['opp_id']}/stage", json={"stage": "active"})
    assert moved.status_code == 200, moved.text
    return str(opp["opp_id"])


async def breach_events(world: World, opp_id: str, kind: str = "opp.sla_breached") -> int:
    return len(await world.events(kind, opp_id))


async def scan(world: World, now: datetime) -> int:
    """One scan as the job runs it, as of `now`."""
    runtime = world.stack.runtime("opportunity")
    settings = runtime.settings
    assert isinstance(settings, OpportunitySettings)
    async with runtime.uow() as uow:
        found = await scan_breaches(uow, settings, now)
        await uow.commit()
        return found


async def test_the_background_scan_emits_one_breach_and_the_opp_shows_it(
    database_url: str, broker: Broker
) -> None:
    overrides = {
        "opportunity_pipelines": {"acquisition": acquisition_with_sla("active", 1 / 3600)},  # one second
        "opportunity_sla_scan_seconds": 0.1,
    }
    async with running(database_url, broker, **overrides) as world:
        opp_id = await opp_in_active(world)
        await eventually(lambda: breach_events(world, opp_id))
        await asyncio.sleep(1.0)  # ten more scans
        [event] = await world.events("opp.sla_breached", opp_id)
        assert (
            event["stage"] == "active" and event["sla_hours"] == 1 / 3600 and event["overdue_by_seconds"] > 0
        )
        assert event["type"] == "acquisition" and event["owner"] == "olga"
        rows = "SELECT count(*) FROM opportunity.sla_breaches WHERE opp_id = $1"
        assert await scalar(database_url, rows, opp_id) == 1
        sla = (await world.api.get(f"/v1/opportunities/{opp_id}")).json()["sla"]
        assert sla["state"] == "breached" and sla["breached_at"] and sla["overdue_by_seconds"] > 0


async def test_concurrent_scans_emit_once_and_a_new_stay_can_breach_again(
    database_url: str, broker: Broker
) -> None:
    async with running(database_url, broker, opportunity_sla_scan_seconds=0) as world:
        opp_id = await opp_in_active(world)
        later = datetime.now(UTC) + timedelta(days=31)  # active's SLA is 30 days

        assert (await world.api.get(f"/v1/opportunities/{opp_id}")).json()["sla"]["state"] == "ok"

        await scan(world, datetime.now(UTC))
        assert await breach_events(world, opp_id) == 0
        found = await asyncio.gather(*(scan(world, later) for _ in range(4)))
        assert await breach_events(world, opp_id) == 1 and sum(found) >= 1  # the database is shared
        await scan(world, later + timedelta(days=1))  # the same stay, later still: nothing new for this opp
        assert await breach_events(world, opp_id) == 1

        # Back to target and into active again: a new stay, which may breach once more.
        await world.api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "target"})
        await world.api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "active"})
        await scan(world, later + timedelta(days=1))
        await scan(world, later + timedelta(days=2))
        assert await breach_events(world, opp_id) == 2


async def test_a_breach_still_unanswered_a_second_window_later_escalates_once(
    database_url: str, broker: Broker
) -> None:
    async with running(database_url, broker, opportunity_sla_scan_seconds=0) as world:
        opp_id = await opp_in_active(world)
        now = datetime.now(UTC)  # active's SLA is 30 days; the second window as long again
        await scan(world, now + timedelta(days=31))
        await scan(world, now + timedelta(days=59))
        assert await breach_events(world, opp_id, "opp.sla_escalated") == 0
        await asyncio.gather(*(scan(world, now + timedelta(days=61)) for _ in range(4)))
        await scan(world, now + timedelta(days=90))
        [event] = await world.events("opp.sla_escalated", opp_id)
        [breach] = await world.events("opp.sla_breached", opp_id)
        assert event["stage"] == breach["stage"] == "active" and event["owner"] == "olga"
        assert event["overdue_by_seconds"] > 30 * 86400 and event["breached_at"] is not None
        sla = (await world.api.get(f"/v1/opportunities/{opp_id}")).json()["sla"]
        assert sla["breached_at"] is not None and sla["escalated_at"] is not None  # state: as of today

        # A stay that ends before its second window is over never escalates.
        await world.api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "target"})
        await world.api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "active"})
        await scan(world, now + timedelta(days=31))
        await world.api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "target"})
        await scan(world, now + timedelta(days=90))
        assert await breach_events(world, opp_id) == 2
        assert await breach_events(world, opp_id, "opp.sla_escalated") == 1


async def test_a_fractional_factor_sets_the_second_window(database_url: str, broker: Broker) -> None:
    async with running(
        database_url, broker, opportunity_sla_scan_seconds=0, opportunity_sla_escalation_factor=0.5
    ) as world:
        opp_id = await opp_in_active(world)
        now = datetime.now(UTC)  # 30 days' SLA, then half as long again: 45 days in the stage
        await scan(world, now + timedelta(days=31))
        await scan(world, now + timedelta(days=44))
        assert await breach_events(world, opp_id, "opp.sla_escalated") == 0
        await scan(world, now + timedelta(days=46))
        assert await breach_events(world, opp_id, "opp.sla_escalated") == 1


async def test_no_escalation_when_switched_off(database_url: str, broker: Broker) -> None:
    async with running(
        database_url, broker, opportunity_sla_scan_seconds=0, opportunity_sla_escalation_factor=0
    ) as world:
        opp_id = await opp_in_active(world)
        now = datetime.now(UTC)
        await scan(world, now + timedelta(days=31))
        await scan(world, now + timedelta(days=365))
        assert await breach_events(world, opp_id) == 1
        assert await breach_events(world, opp_id, "opp.sla_escalated") == 0
