"""Direct reads of the services' tables, for assertions on exact counts."""

from __future__ import annotations

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
