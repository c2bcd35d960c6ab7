"""The four services as separate processes on a real PostgreSQL and a real broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import make_settings
from tests.support.db import exactly_once, settled_report
from tests.support.infra import Broker
from tests.support.processes import ServiceProcesses
from tests.support.stack import eventually

pytestmark = pytest.mark.e2e
ALL = ("ingest", "matcher", "opportunity", "scoring")


@pytest.fixture
def stack(fresh_database_url: str, broker: Broker) -> Iterator[ServiceProcesses]:
    processes = ServiceProcesses(make_settings(fresh_database_url, broker.bootstrap), ALL)
    try:
        yield processes.start_all()
    finally:
        processes.stop()


async def ready(stack: ServiceProcesses) -> bool:
    for name in stack.processes:
        async with stack.client(name) as client:
            if (await client.get("/readyz")).status_code != 200:
                return False
    return True


async def test_a_lead_posted_to_ingest_ends_as_an_opp_with_its_ocr_and_a_score(
    stack: ServiceProcesses,
) -> None:
    await eventually(lambda: ready(stack), timeout=60)
    async with (
        stack.client("ingest") as ingest,
        stack.client("matcher") as matcher,
        stack.client("opportunity") as opportunity,
        stack.client("scoring") as scoring,
    ):
        posted = await ingest.post(
            "/v1/leads",
            json={
                "email": f"grace-{uuid.uuid4().hex[:6]}@hopper.example",
                "title": "CTO",
                "company": "Hopper",
            },
        )
        assert posted.status_code == 202
        lead_id = posted.json()["lead_id"]

        async def match() -> dict[str, Any] | None:
            found = (await matcher.get(f"/v1/leads/{lead_id}/match")).json()
            return found if found["status"] != "pending" else None

        decided = await eventually(match)

        async def opp() -> list[dict[str, Any]]:
            return list(
                (
                    await opportunity.get("/v1/opportunities", params={"account_id": decided["account_id"]})
                ).json()
            )

        [found] = await eventually(opp)
        detail = (await opportunity.get(f"/v1/opportunities/{found['opp_id']}")).json()
        assert [r["contact_id"] for r in detail["contact_roles"]] == [decided["contact_id"]]

        async def score() -> dict[str, Any] | None:
            response = await scoring.get(f"/v1/scores/{decided['contact_id']}")
            return response.json() if response.status_code == 200 else None

        assert (await eventually(score))["fit"] == 30.0  # CTO: c-level seniority 25, technology 5


LEADS = 200
DOMAINS = 40


async def test_200_leads_survive_the_matcher_being_killed_mid_stream(
    stack: ServiceProcesses, fresh_database_url: str
) -> None:
    await eventually(lambda: ready(stack), timeout=60)
    async with stack.client("ingest") as ingest:

        async def post(numbers: range) -> None:
            for n in numbers:
                body = {"email": f"person{n}@firm{n % DOMAINS}.example", "company": f"Firm {n % DOMAINS}"}
                assert (await ingest.post("/v1/leads", json=body)).status_code == 202

        await post(range(0, 60))
        stack.kill("matcher")
        await post(range(60, 120))
        stack.start("matcher")
        await post(range(120, 170))
        await asyncio.sleep(0.5)
        stack.kill("matcher")
        stack.start("matcher")
        await post(range(170, LEADS))

    report = await settled_report(
        fresh_database_url, LEADS, timeout=180, context=lambda: f"\nmatcher log:\n{stack.log('matcher')}"
    )
    assert report == exactly_once(LEADS, DOMAINS)
