"""A lead followed through the four services on a real database and broker."""

from __future__ import annotations

import uuid

from tests.conftest import make_settings
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually


def _email(local: str, domain: str) -> str:
    return f"{local}@{domain}"


async def test_a_lead_is_converted_gets_an_opp_with_its_ocr_and_a_score(
    database_url: str, broker: Broker
) -> None:
    domain = f"acme-{uuid.uuid4().hex[:8]}.com"
    async with InProcessStack(make_settings(database_url, broker.bootstrap)) as stack:
        await stack.wait_connected()
        ingest, matcher = stack.client("ingest"), stack.client("matcher")
        opportunity, scoring = stack.client("opportunity"), stack.client("scoring")

        posted = await ingest.post(
            "/v1/leads",
            json={
                "email": _email("Ada", domain),
                "first_name": "Ada",
                "company": "Acme",
                "title": "VP Engineering",
                "employees": 500,
            },
        )
        assert posted.status_code == 202, posted.text
        lead_id = posted.json()["lead_id"]

        async def converted() -> dict[str, object] | None:
            match = (await matcher.get(f"/v1/leads/{lead_id}/match")).json()
            return match if match["status"] != "pending" else None

        match = await eventually(converted)
        assert match["status"] == "account_created"
        assert match["contact_id"] and match["account_id"]

        async def opps() -> list[dict[str, object]]:
            found = (
                await opportunity.get("/v1/opportunities", params={"account_id": match["account_id"]})
            ).json()
            return found if found and found[0]["contact_roles"] else []

        opp_list = await eventually(opps)
        assert (
            len(opp_list) == 1 and opp_list[0]["type"] == "acquisition" and opp_list[0]["stage"] == "target"
        )
        assert [r["contact_id"] for r in opp_list[0]["contact_roles"]] == [match["contact_id"]]
        assert list(opp_list[0]["stamps"]) == ["target"]
        opp = (await opportunity.get(f"/v1/opportunities/{opp_list[0]['opp_id']}")).json()
        assert [r["contact_id"] for r in opp["contact_roles"]] == [match["contact_id"]]
        assert opp["contact_roles"][0]["primary"] is True
        assert "target" in opp["stamps"] and opp["history"][0]["to_stage"] == "target"

        async def scored() -> dict[str, object] | None:
            response = await scoring.get(f"/v1/scores/{match['contact_id']}")
            return response.json() if response.status_code == 200 else None

        score = await eventually(scored)
        assert score["lead_id"] == lead_id and score["fit"] == 35.0
        assert {r["rule"] for r in score["reasons"]} == {
            "seniority_vp",
            "department_technology",
            "employees_200_999",
        }

        # A colleague from the same domain joins the same account and the open opp's buying group.
        second = (await ingest.post("/v1/leads", json={"email": _email("bob", domain)})).json()

        async def joined() -> list[str]:
            current = (await opportunity.get(f"/v1/opportunities/{opp['opp_id']}")).json()
            return (
                [r["contact_id"] for r in current["contact_roles"]]
                if len(current["contact_roles"]) == 2
                else []
            )

        await eventually(joined)
        bob = (await matcher.get(f"/v1/leads/{second['lead_id']}/match")).json()
        assert bob["status"] == "matched" and bob["method"] == "email_domain"
        assert bob["account_id"] == match["account_id"]
        all_opps = (
            await opportunity.get("/v1/opportunities", params={"account_id": match["account_id"]})
        ).json()
        assert len(all_opps) == 1

        lead = (await ingest.get(f"/v1/leads/{lead_id}")).json()
        assert lead["status"] == "converted" and lead["contact_id"] == match["contact_id"]
