"""Direct reads of the services' tables, for assertions on exact counts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import asyncpg

from shared.db import libpq_url


async def fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def scalar(database_url: str, sql: str, *args: Any) -> Any:
    rows = await fetch(database_url, sql, *args)
    return rows[0][0] if rows else None


async def conversion_report(database_url: str) -> dict[str, Any]:
    """What exactly-once conversion must leave behind, in numbers."""
    return {
        "leads": await scalar(database_url, "SELECT count(*) FROM ingest.leads"),
        "matches": await scalar(database_url, "SELECT count(*) FROM matcher.matches"),
        "contacts": await scalar(database_url, "SELECT count(*) FROM matcher.contacts"),
        "contact_emails": await scalar(database_url, "SELECT count(DISTINCT email) FROM matcher.contacts"),
        "accounts": await scalar(database_url, "SELECT count(*) FROM matcher.accounts"),
        "converted_events_per_lead": await scalar(
            database_url,
            "SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM matcher.outbox"
            " WHERE headers->>'ce_type' = 'lead.converted' GROUP BY key) per_lead",
        ),
        "opps": await scalar(database_url, "SELECT count(*) FROM opportunity.opportunities"),
        "opp_accounts": await scalar(
            database_url, "SELECT count(DISTINCT account_id) FROM opportunity.opportunities"
        ),
        "ocrs": await scalar(database_url, "SELECT count(*) FROM opportunity.contact_roles"),
        "scored": await scalar(
            database_url, "SELECT count(*) FROM scoring.people WHERE contact_id IS NOT NULL"
        ),
    }


def exactly_once(leads: int, companies: int) -> dict[str, int]:
    """The report of `leads` leads from `companies` companies, each converted exactly once."""
    return {
        "leads": leads,
        "matches": leads,
        "contacts": leads,
        "contact_emails": leads,
        "accounts": companies,
        "converted_events_per_lead": 1,
        "opps": companies,
        "opp_accounts": companies,
        "ocrs": leads,
        "scored": leads,
    }


async def settled_report(
    database_url: str, leads: int, timeout: float, context: Callable[[], str] = str
) -> dict[str, Any]:
    """The conversion report once every lead is matched, in a buying group and scored."""
    deadline = time.monotonic() + timeout
    while True:
        report = await conversion_report(database_url)
        if report["matches"] == report["ocrs"] == report["scored"] == leads:
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"not settled after {timeout}s: {report}{context()}")
        await asyncio.sleep(0.5)
