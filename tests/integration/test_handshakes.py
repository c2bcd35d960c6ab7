"""Handshakes through the real broker: reps and pools put in the matcher reach the opportunity
service as events; an opp entering `qualified` gets an SDR of its account's territory pool (the
weights kept over 100 assignments of one turn), `pipeline` gives it to the AE (or, the AE inactive,
to the sales pool); an out-of-office SDR is skipped; an unaccepted handoff escalates, then goes to
the next in the pool; a pool changed through the API applies to the next handoff, no restart."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.events import LeadScored
from tests.conftest import as_, make_settings
from tests.support.db import fetch
from tests.support.events import publish
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually

DEADLINE = 180.0
UNGATED = {
    "acquisition": [
        {"name": "target", "team": "marketing"},
        {"name": "prioritized", "team": "marketing", "last_marketing": True},
        {"name": "qualified", "team": "sdr", "sdr": True, "sla_hours": 168},
        {"name": "pipeline", "team": "sales", "sla_hours": 2160},
        {"name": "closed_won", "team": "sales"},
        {"name": "closed_lost", "team": "sales"},
    ]
}


def settings_for(database_url: str, broker: Broker, **overrides: Any) -> dict[str, Any]:
    return make_settings(
        database_url,
        broker.bootstrap,
        opportunity_pipelines=UNGATED,
        opportunity_creation_policy="never",
        opportunity_engagement_automation=False,
        **overrides,
    )


async def put(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await api.put(path, json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def team(
    matcher: httpx.AsyncClient, name: str, kind: str, members: dict[str, int], **fields: Any
) -> None:
    for rep in members:
        await put(matcher, f"/v1/reps/{rep}", {"name": rep.title(), "team": kind})
    listed = [{"rep_id": r, "weight": w} for r, w in members.items()]
    await put(matcher, f"/v1/pools/{name}", {"team": kind, "members": listed, **fields})


async def opp_of_new_account(matcher: httpx.AsyncClient, opportunity: httpx.AsyncClient, owner: str) -> str:
    """A German account owned by `owner`, and its acquisition opp once the copy has arrived."""
    created = await matcher.post("/v1/accounts", json={"name": "Werk", "country": "DE", "owner": owner})
    account_id = created.json()["account_id"]

    async def opened() -> str | None:
        answer = await opportunity.post("/v1/opportunities", json={"account_id": account_id})
        return str(answer.json()["opp_id"]) if answer.status_code == 201 else None

    return await eventually(opened, timeout=DEADLINE)


async def move(opportunity: httpx.AsyncClient, opp_id: str, stage: str, **as_who: Any) -> dict[str, Any]:
    answer = await opportunity.post(f"/v1/opportunities/{opp_id}/stage", json={"stage": stage}, **as_who)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["opportunity"])


async def copies_arrived(database_url: str, reps: int, pools: int) -> None:
    async def arrived() -> bool:
        [row] = await fetch(
            database_url,
            "SELECT (SELECT count(*) FROM opportunity.reps) AS reps,"
            " (SELECT count(*) FROM opportunity.pools) AS pools",
        )
        return bool(row["reps"] >= reps and row["pools"] >= pools)

    await eventually(arrived, timeout=DEADLINE)


async def copy_says(database_url: str, rep_id: str, field: str, value: str | None) -> None:
    """The opportunity service's copy of the rep shows the change (`rep.updated` arrived)."""

    async def arrived() -> bool:
        rows = await fetch(
            database_url, "SELECT fields->>$2 AS value FROM opportunity.reps WHERE rep_id = $1", rep_id, field
        )
        return bool(rows) and (rows[0]["value"] is not None if value is None else rows[0]["value"] == value)

    await eventually(arrived, timeout=DEADLINE)


async def test_sdrs_by_weight_over_a_turn_then_the_ae_and_a_pool_change_without_restart(
    fresh_database_url: str, broker: Broker
) -> None:
    database_url = fresh_database_url
    async with InProcessStack(settings_for(database_url, broker), names=("matcher", "opportunity")) as stack:
        await stack.wait_connected()
        matcher, opportunity = stack.client("matcher"), stack.client("opportunity")
        await team(matcher, "sdr-dach", "sdr", {"sid": 3, "sue": 2, "sol": 1}, countries=["DE", "AT"])
        await team(matcher, "sdr-world", "sdr", {"sol": 1})
        await team(matcher, "ae-de", "sales", {"ann": 1, "al": 1}, countries=["DE"])
        await copies_arrived(database_url, reps=5, pools=3)
        owners = []
        for _ in range(100):
            opp_id = await opp_of_new_account(matcher, opportunity, "ann")
            owners.append((await move(opportunity, opp_id, "qualified"))["stage_owner"])
        assert Counter(owners) == {"sid": 50, "sue": 33, "sol": 17}
        for n in range(1, 101):
            given = Counter(owners[:n])
            assert all(abs(given[r] - n * w / 6) <= 1 for r, w in (("sid", 3), ("sue", 2), ("sol", 1)))
        fair = (await opportunity.get("/v1/reports/routing-fairness", params={"pool_id": "sdr-dach"})).json()
        [turn] = fair["pools"]
        assert (turn["turn"], turn["assigned"]) == (1, 100)
        by_rep = {m["rep_id"]: m for m in turn["members"]}
        assert by_rep["sid"]["share_of_weight"] == 0.5 and by_rep["sid"]["assigned"] == 50
        assert all(abs(m["off_by"]) <= 1 for m in turn["members"])
        handed = await move(opportunity, opp_id, "pipeline")
        assert (handed["stage_owner"], handed["next_step_owner"]) == ("ann", "ann")
        detail = (await opportunity.get(f"/v1/opportunities/{opp_id}")).json()
        sdr, ae = detail["handoffs"]
        assert (sdr["status"], sdr["closed_reason"]) == ("closed", "the opp moved to pipeline")
        assert (ae["rule"], ae["reason"]) == ("account_owner", "the account's owner ann")
        assert detail["handoff"] == ae, "the handoff in force"
        [listed] = (
            await opportunity.get("/v1/opportunities", params={"account_id": detail["account_id"]})
        ).json()
        assert listed["handoff"] == ae and listed["handoffs"] == [], "a list carries the one in force"
        assert "turn 1" in sdr["reason"] and sdr["pool_id"] == "sdr-dach"
        # The pool changes through the API: the next handoff uses it (a new turn), no restart.
        answer = await matcher.patch("/v1/pools/sdr-dach", json={"members": [{"rep_id": "sol", "weight": 1}]})
        assert answer.json()["turn"] == 2

        async def from_new_pool() -> bool:
            opp_id = await opp_of_new_account(matcher, opportunity, "ann")
            moved = await move(opportunity, opp_id, "qualified")
            return moved["stage_owner"] == "sol" and all(
                h["turn"] == 2
                for h in (await opportunity.get(f"/v1/opportunities/{opp_id}")).json()["handoffs"]
            )

        await eventually(from_new_pool, timeout=DEADLINE)
        # The AE leaves: the account's next sales stage goes to the sales pool.
        await matcher.patch("/v1/reps/ann", json={"active": False})
        await copy_says(database_url, "ann", "active", "false")
        opp_id = await opp_of_new_account(matcher, opportunity, "ann")
        await move(opportunity, opp_id, "qualified")
        handed = await move(opportunity, opp_id, "pipeline")
        assert handed["stage_owner"] == "al"


async def test_out_of_office_skipped_unaccepted_escalates_then_reassigns_then_accepted(
    fresh_database_url: str, broker: Broker
) -> None:
    database_url = fresh_database_url
    settings = settings_for(
        database_url,
        broker,
        opportunity_accept_hours=0.0005,  # under two seconds to accept
        opportunity_reassign_hours=0.0005,
        opportunity_handoff_scan_seconds=0.2,
    )
    async with InProcessStack(settings, names=("matcher", "opportunity")) as stack:
        await stack.wait_connected()
        matcher, opportunity = stack.client("matcher"), stack.client("opportunity")
        await team(matcher, "sdr-dach", "sdr", {"mia": 5, "sam": 1, "olga": 1}, countries=["DE"])
        away = {"out_of_office_from": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
        assert (await matcher.patch("/v1/reps/mia", json=away)).status_code == 200
        await copies_arrived(database_url, reps=3, pools=1)
        await copy_says(database_url, "mia", "out_of_office_from", None)
        opp_id = await opp_of_new_account(matcher, opportunity, "ann")
        moved = await move(opportunity, opp_id, "qualified")
        assert moved["stage_owner"] == "sam"

        async def reassigned() -> dict[str, Any] | None:
            detail = (await opportunity.get(f"/v1/opportunities/{opp_id}")).json()
            # The opp and its handoffs are two reads: wait until both show the reassignment.
            handed = len(detail["handoffs"]) == 2 and detail["stage_owner"] == detail["handoffs"][1]["owner"]
            return detail if handed else None

        detail = await eventually(reassigned, timeout=DEADLINE)
        first, second = detail["handoffs"]
        assert "mia skipped: out of office" in first["reason"]
        assert first["status"] == "reassigned" and first["escalated_at"] is not None
        assert second["owner"] == "olga" and second["reason"].startswith("reassigned: sam did not accept")
        assert detail["stage_owner"] == "olga"
        refused = await opportunity.post(f"/v1/opportunities/{opp_id}/accept", headers=as_("sam"))
        assert refused.status_code == 409 and "olga's to accept" in refused.json()["detail"]
        accepted = await opportunity.post(f"/v1/opportunities/{opp_id}/accept", headers=as_("olga"))
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["handoffs"][-1]["status"] == "accepted"
        report = (await opportunity.get("/v1/reports/handoffs")).json()
        people = {p["owner"]: p for p in report["people"] if p["kind"] == "stage"}
        assert (people["olga"]["accepted"], people["olga"]["acceptance_rate"]) == (1, 1.0)
        assert people["olga"]["median_hours_to_accept"] is not None
        assert (people["sam"]["escalated"], people["sam"]["reassigned_away"]) == (1, 1)
        [sdr_team] = [t for t in report["teams"] if (t["kind"], t["team"]) == ("stage", "sdr")]
        assert (sdr_team["handoffs"], sdr_team["accepted"]) == (2, 1)
        [qualified] = [s for s in report["stages"] if s["stage"] == "qualified"]
        assert qualified["reassigned"] == 1 and qualified["escalated"] >= 1  # olga's may have too
    events = await fetch(
        database_url,
        "SELECT headers->>'ce_type' AS type, payload FROM opportunity.outbox WHERE key = $1"
        " AND headers->>'ce_type' LIKE 'opp.handoff_%' ORDER BY seq",
        opp_id,
    )
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["opp.handoff_escalated", "opp.handoff_reassigned"]


def lifecycle(contact_id: str, account_id: str, stage: str, previous: str, **why: str) -> LeadScored:
    """The `lead.scored` scoring sends when a converted person's lifecycle moves."""
    return LeadScored(
        person_id=contact_id,
        lead_id=f"lead-{contact_id}",
        contact_id=contact_id,
        account_id=account_id,
        score=120,
        fit=60,
        behaviour=60,
        lifecycle_stage=stage,
        previous_lifecycle_stage=previous,
        reasons=[],
        **why,
    )


async def test_an_mql_is_routed_to_a_person_accepted_then_recycled_with_its_reason(
    fresh_database_url: str, broker: Broker
) -> None:
    database_url = fresh_database_url
    settings = settings_for(database_url, broker)
    async with InProcessStack(settings, names=("matcher", "opportunity")) as stack:
        await stack.wait_connected()
        matcher, opportunity = stack.client("matcher"), stack.client("opportunity")
        await team(matcher, "sdr-de", "sdr", {"mia": 1, "sam": 1}, countries=["DE"])
        await copies_arrived(database_url, reps=2, pools=1)
        created = await matcher.post("/v1/accounts", json={"name": "Ohne Owner", "country": "DE"})
        account_id = created.json()["account_id"]
        contact = f"c-{account_id}"

        async def account_copied() -> bool:
            return bool(
                await fetch(
                    database_url, "SELECT 1 FROM opportunity.accounts WHERE account_id = $1", account_id
                )
            )

        await eventually(account_copied, timeout=DEADLINE)
        await publish(
            broker, settings["kafka_topic_prefix"], (lifecycle(contact, account_id, "mql", "prospect"), 1)
        )

        async def routed() -> dict[str, Any] | None:
            found = (await opportunity.get(f"/v1/routes/{contact}")).json()
            return found if found["current"] else None

        found = await eventually(routed, timeout=DEADLINE)
        current = found["current"]
        assert (current["stage"], current["owner"], current["rule"], current["pool_id"]) == (
            "sales",
            "mia",
            "round_robin",
            "sdr-de",
        )
        assert "MQL not covered by an owned opp stage" in current["reason"] and current["due_at"]
        accepted = await opportunity.post(f"/v1/routes/{contact}/accept", headers=as_("mia"))
        assert accepted.status_code == 200 and accepted.json()["current"]["status"] == "accepted"
        why = {"lifecycle_reason": "budget frozen until Q3", "lifecycle_actor": "mia"}
        await publish(
            broker,
            settings["kafka_topic_prefix"],
            (lifecycle(contact, account_id, "nurture", "sql", **why), 2),
        )

        async def recycled() -> dict[str, Any] | None:
            found = (await opportunity.get(f"/v1/routes/{contact}")).json()
            return found if found["current"] and found["current"]["stage"] == "recycle" else None

        found = await eventually(recycled, timeout=DEADLINE)
        sales, recycle = found["routes"]
        assert sales["status"] == "closed" and sales["closed_reason"] == "recycle: budget frozen until Q3"
        assert (
            recycle["team"] == "marketing" and "recycle by mia: budget frozen until Q3" in recycle["reason"]
        )
    events = await fetch(
        database_url,
        "SELECT payload->>'route' AS route, payload->>'owner' AS owner, payload->>'rule' AS rule"
        " FROM opportunity.outbox WHERE headers->>'ce_type' = 'lead.routed' AND key = $1 ORDER BY seq",
        contact,
    )
    assert [(r["route"], r["owner"], r["rule"]) for r in events] == [
        ("sales", "mia", "round_robin"),
        ("recycle", None, "lifecycle"),
    ]
