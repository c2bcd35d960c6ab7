"""Bulk account import over HTTP on a real PostgreSQL: CSV and NDJSON, upsert by external id,
per-row errors, background progress, and accounts that the matcher then finds."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import make_settings
from tests.integration.test_matcher_matching import word
from tests.support.db import fetch
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually


async def test_import_csv_then_upsert_ndjson_with_row_errors_and_progress(
    database_url: str, broker: Broker
) -> None:
    tag = word().lower()
    settings = make_settings(database_url, broker.bootstrap)
    csv_body = (
        "external_id,name,domains,country,employees,is_customer,parent_external_id\n"
        f"{tag}-1,{tag.title()} Holdings Inc.,{tag}.com;{tag}-hq.com,US,5000,true,\n"
        f"{tag}-2,{tag.title()} Robotics GmbH,{tag}-robotics.de,DE,200,false,{tag}-1\n"
        f"{tag}-3,,{tag}-nameless.com,US,,,\n"
        f"{tag}-4,Other {tag.title()},{tag}.com,US,lots,,\n"
        f"{tag}-5,Orphan {tag.title()},,FR,,,{tag}-missing\n"
    )
    async with InProcessStack(settings, names=("matcher",)) as stack:
        matcher = stack.client("matcher")
        first = await matcher.post(
            "/v1/accounts/import",
            params={"wait": "true"},
            content=csv_body,
            headers={"Content-Type": "text/csv"},
        )
        assert first.status_code == 200, first.text
        report = first.json()
        assert (report["status"], report["rows_read"], report["inserted"], report["updated"]) == (
            "done",
            5,
            3,
            0,
        )
        errors = {(e["line"], e["field"]) for e in report["errors"]}
        assert (4, "name") in errors and (5, "employees") in errors
        assert (6, "parent_external_id") in errors

        accounts = {
            row["external_id"]: row
            for row in await fetch(
                database_url,
                "SELECT a.*, p.external_id AS parent_ext FROM matcher.accounts a"
                " LEFT JOIN matcher.accounts p ON p.account_id = a.parent_id WHERE a.external_id LIKE $1",
                f"{tag}-%",
            )
        }
        assert set(accounts) == {f"{tag}-1", f"{tag}-2", f"{tag}-5"}
        assert accounts[f"{tag}-2"]["parent_ext"] == f"{tag}-1" and accounts[f"{tag}-1"]["is_customer"]
        assert accounts[f"{tag}-1"]["name_key"] == f"{tag}holdings"
        assert sorted(accounts[f"{tag}-1"]["domains"]) == sorted([f"{tag}.com", f"{tag}-hq.com"])

        ndjson = (
            "\n".join(
                json.dumps(row)
                for row in (
                    {"external_id": f"{tag}-1", "name": f"{tag.title()} Group", "domains": [f"{tag}.com"]},
                    {"external_id": f"{tag}-6", "name": f"{tag.title()} Labs", "domains": [f"{tag}-hq.com"]},
                )
            )
            + "\nnot json\n"
        )
        started = await matcher.post(
            "/v1/accounts/import", content=ndjson, headers={"Content-Type": "application/x-ndjson"}
        )
        assert started.status_code == 202 and started.json()["status"] == "running"

        async def finished() -> dict[str, Any] | None:
            progress = (await matcher.get(f"/v1/accounts/import/{started.json()['import_id']}")).json()
            return progress if progress["status"] != "running" else None

        done = await eventually(finished)
        assert (done["status"], done["inserted"], done["updated"]) == ("done", 1, 1), done
        assert done["errors"] == [
            {"line": 3, "external_id": None, "field": "body", "reason": done["errors"][0]["reason"]}
        ]

        assert (
            await matcher.post("/v1/accounts/import", content="x", headers={"Content-Type": "text/plain"})
        ).status_code == 415
        assert (await matcher.get("/v1/accounts/import/nope")).status_code == 404

    owners = dict(
        (r["domain"], r["external_id"])
        for r in await fetch(
            database_url,
            "SELECT d.domain, a.external_id FROM matcher.account_domains d"
            " JOIN matcher.accounts a USING (account_id) WHERE d.domain LIKE $1",
            f"{tag}%",
        )
    )
    assert owners == {f"{tag}.com": f"{tag}-1", f"{tag}-hq.com": f"{tag}-6", f"{tag}-robotics.de": f"{tag}-2"}
    events = await fetch(
        database_url,
        "SELECT headers->>'ce_type' AS type, headers->>'ce_aggregateversion' AS version, payload"
        " FROM matcher.outbox o WHERE payload->>'name' ILIKE $1 ORDER BY seq",
        f"%{tag}%",
    )
    types = [(e["type"], e["version"]) for e in events]
    assert types.count(("account.created", "1")) == 4 and ("account.updated", "2") in types


async def test_an_imports_progress_is_answered_by_another_replica(database_url: str, broker: Broker) -> None:
    tag = word().lower()
    settings = make_settings(database_url, broker.bootstrap)
    body = f"external_id,name,domains\n{tag}-1,{tag.title()} Ltd,{tag}.com\n"
    async with (
        InProcessStack(settings, names=("matcher",)) as first,
        InProcessStack(settings, names=("matcher",)) as second,
    ):
        started = await first.client("matcher").post(
            "/v1/accounts/import", content=body, headers={"Content-Type": "text/csv"}
        )
        assert started.status_code == 202

        async def finished() -> dict[str, Any] | None:
            report = await second.client("matcher").get(f"/v1/accounts/import/{started.json()['import_id']}")
            assert report.status_code == 200, report.text
            found: dict[str, Any] = report.json()
            return found if found["status"] != "running" else None

        report = await eventually(finished)
    assert (report["status"], report["inserted"], report["finished_at"] is not None) == ("done", 1, True)
