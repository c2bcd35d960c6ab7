"""`POST /v1/leads/import` through ingest and the matcher on a real database and broker: rows
validated by line, known emails updated, erased people refused, new leads matched through the
bulk lane, progress in the database."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import make_settings
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually


async def test_an_import_loads_valid_rows_reports_the_rest_and_its_leads_are_matched(
    database_url: str, broker: Broker
) -> None:
    tag = uuid.uuid4().hex[:8]
    known, new = f"known-{tag}.com", f"new-{tag}.com"
    async with InProcessStack(make_settings(database_url, broker.bootstrap), ("ingest", "matcher")) as stack:
        await stack.wait_connected()
        ingest, matcher = stack.client("ingest"), stack.client("matcher")
        account = await matcher.post("/v1/accounts", json={"name": f"Known {tag}", "domains": [known]})
        assert account.status_code == 201, account.text
        live = await ingest.post("/v1/leads", json={"email": f"ann@{known}", "title": "Analyst"})
        gone = f"gone@gone-{tag}.com"
        await ingest.post("/v1/leads", json={"email": gone})
        assert (await ingest.post("/v1/people/erase", json={"email": gone})).status_code == 202

        csv = "\n".join(
            [
                "email,first_name,company,title,employees",
                f"ann@{known},Ann,Known,VP Sales,",  # known: updated
                f"bob@{known},Bob,Known,CFO,200",
                f"cy@{new},Cy,New {tag},CTO,50",
                "not-an-email,Dee,,,",
                f"eve@{new},Eve,New {tag},,lots",
                f"bob@{known},Bob,Known,CEO,200",  # repeated: this row wins
                gone + ",Gone,,,",
            ]
        )
        answered = await ingest.post(
            "/v1/leads/import", params={"wait": "true"}, content=csv, headers={"Content-Type": "text/csv"}
        )
        assert answered.status_code == 200, answered.text
        report = answered.json()
        assert report["status"] == "done"
        assert (report["rows_read"], report["rows_valid"]) == (7, 4)
        assert (report["created"], report["updated"], report["refused"]) == (2, 1, 1)
        problems = {(e["line"], e["field"]) for e in report["errors"]}
        assert {(5, "email"), (6, "employees"), (3, "email"), (8, "email")} <= problems
        again = await ingest.get(answered.headers["Location"])
        assert again.json() == report

        bob = (await ingest.get("/v1/leads", params={"email": f"bob@{known}"})).json()
        assert bob["title"] == "CEO" and bob["source"] == "import"
        ann = (await ingest.get(f"/v1/leads/{live.json()['lead_id']}")).json()
        assert ann["title"] == "VP Sales" and ann["version"] == 2

        async def matched(email: str) -> dict[str, Any] | None:
            lead_id = (await ingest.get("/v1/leads", params={"email": email})).json()["lead_id"]
            match = (await matcher.get(f"/v1/leads/{lead_id}/match")).json()
            return match if match["status"] != "pending" else None

        bob_match = await eventually(lambda: matched(f"bob@{known}"), timeout=180)
        assert bob_match["status"] == "matched"
        assert bob_match["account_id"] == account.json()["account_id"]
        assert (await eventually(lambda: matched(f"cy@{new}"), timeout=180))["status"] == "account_created"
        bulk = stack.runtime("matcher").bulk
        assert bulk is not None and bulk.group.endswith("cascade-matcher-bulk")


async def test_an_import_runs_in_the_background_and_refuses_what_it_cannot_read(
    database_url: str, broker: Broker
) -> None:
    tag = uuid.uuid4().hex[:8]
    ndjson = "\n".join(f'{{"email": "p{i}@bg-{tag}.com", "company": "Bg {tag}"}}' for i in range(1200))
    async with InProcessStack(make_settings(database_url, broker.bootstrap), ("ingest",)) as stack:
        ingest = stack.client("ingest")
        refused = await ingest.post(
            "/v1/leads/import", content="email\n", headers={"Content-Type": "text/plain"}
        )
        assert refused.status_code == 415 and refused.json()["errors"][0]["field"] == "content-type"
        empty = await ingest.post("/v1/leads/import", content=" ", headers={"Content-Type": "text/csv"})
        assert empty.status_code == 422
        started = await ingest.post(
            "/v1/leads/import", content=ndjson + "\n[1]\n{", headers={"Content-Type": "application/x-ndjson"}
        )
        assert started.status_code == 202 and started.json()["status"] == "running"

        async def done() -> dict[str, Any] | None:
            report = (await ingest.get(started.headers["Location"])).json()
            return report if report["status"] != "running" else None

        report = await eventually(done, timeout=180)
        assert (report["status"], report["created"], report["error_count"]) == ("done", 1200, 2)
        assert {e["line"] for e in report["errors"]} == {1201, 1202}
        assert (await ingest.get("/v1/leads/import/nope")).status_code == 404
