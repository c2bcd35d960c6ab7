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


async def breach_events(world: World, opp_id: str) -> int:
    return len(await world.events("opp.sla_breached", opp_id))


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
        runtime = world.stack.runtime("opportunity")
        settings = runtime.settings
        assert isinstance(settings, OpportunitySettings)
        later = datetime.now(UTC) + timedelta(days=31)  # active's SLA is 30 days

        assert (await world.api.get(f"/v1/opportunities/{opp_id}")).json()["sla"]["state"] == "ok"

        async def scan(now: datetime) -> int:
            async with runtime.uow() as uow:
                found = await scan_breaches(uow, settings, now)
                await uow.commit()
                return found

        assert await scan(datetime.now(UTC)) == 0
        found = await asyncio.gather(*(scan(later) for _ in range(4)))
        assert await breach_events(world, opp_id) == 1 and sum(found) >= 1  # the database is shared
        await scan(later + timedelta(days=1))  # the same stay, later still: nothing new for this opp
        assert await breach_events(world, opp_id) == 1

        # Back to target and into active again: a new stay, which may breach once more.
        await world.api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "target"})
        await world.api.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": "active"})
        await scan(later + timedelta(days=1))
        await scan(later + timedelta(days=2))
        assert await breach_events(world, opp_id) == 2
