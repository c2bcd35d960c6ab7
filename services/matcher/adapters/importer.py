"""The bulk import's SQL: COPY valid rows into a staging table, then upsert by external id in a
few set-based statements (accounts, parents, domains), inside the unit of work's transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from services.matcher.app.imports import STAGING_COLUMNS
from services.matcher.app.models import ImportProgress
from services.matcher.domain.accounts import StoredAccount

COPY_CHUNK = 50_000

STAGING = """
CREATE TEMP TABLE import_accounts (
    line int, external_id text PRIMARY KEY, account_id text, name text, domains text[], labels text[],
    website text, country text, industry text, employees int, parent_external_id text, owner text,
    csm text, is_customer bool, name_key text, name_text text, acronym text, core_key text, sorted_key text,
    last_activity_at timestamptz
) ON COMMIT DROP;
CREATE TEMP TABLE import_result (account_id text, external_id text, inserted bool) ON COMMIT DROP;
"""
UPSERT = """
WITH upserted AS (
    INSERT INTO accounts AS a (account_id, external_id, name, domains, website, country, industry, employees,
        owner, csm, is_customer, name_key, name_text, acronym, core_key, sorted_key, last_activity_at)
    SELECT account_id, external_id, name, domains, website, country, industry, employees, owner, csm,
        is_customer, name_key, name_text, acronym, core_key, sorted_key, last_activity_at
    FROM import_accounts
    ON CONFLICT (external_id) DO UPDATE SET
        name = EXCLUDED.name, domains = EXCLUDED.domains, website = EXCLUDED.website,
        country = EXCLUDED.country, industry = EXCLUDED.industry, employees = EXCLUDED.employees,
        owner = EXCLUDED.owner, csm = EXCLUDED.csm, is_customer = EXCLUDED.is_customer,
        name_key = EXCLUDED.name_key, name_text = EXCLUDED.name_text, acronym = EXCLUDED.acronym,
        core_key = EXCLUDED.core_key, sorted_key = EXCLUDED.sorted_key,
        last_activity_at = coalesce(EXCLUDED.last_activity_at, a.last_activity_at),
        version = a.version + 1, updated_at = now()
    RETURNING a.account_id, a.external_id, (xmax = 0) AS inserted
)
INSERT INTO import_result SELECT * FROM upserted
"""
RESOLVE_IDS = """
UPDATE import_accounts s SET account_id = r.account_id FROM import_result r
WHERE r.external_id = s.external_id AND NOT r.inserted
"""
PARENTS = """
UPDATE accounts a SET parent_id = p.account_id
FROM import_accounts s JOIN accounts p ON p.external_id = s.parent_external_id
WHERE a.account_id = s.account_id AND a.parent_id IS DISTINCT FROM p.account_id
"""
DROPPED_DOMAINS = """
DELETE FROM account_domains d USING import_accounts s JOIN import_result r USING (external_id)
WHERE NOT r.inserted AND d.account_id = s.account_id AND NOT (d.domain = ANY(s.domains))
"""
CLAIM_DOMAINS = """
INSERT INTO account_domains (domain, account_id, label)
SELECT x.domain, s.account_id, x.label FROM import_accounts s, unnest(s.domains, s.labels) x(domain, label)
ON CONFLICT (domain) DO NOTHING
"""
STEPS = (
    ("resolving", RESOLVE_IDS),
    ("parents", PARENTS),
    ("domains", DROPPED_DOMAINS),
    ("domains", CLAIM_DOMAINS),
)
UNKNOWN_PARENTS = """
SELECT s.line, s.external_id, s.parent_external_id FROM import_accounts s
WHERE s.parent_external_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM accounts p WHERE p.external_id = s.parent_external_id)
"""
TAKEN_DOMAINS = """
SELECT s.line, s.external_id, s.account_id, x.domain FROM import_accounts s, unnest(s.domains) x(domain)
JOIN account_domains d ON d.domain = x.domain WHERE d.account_id <> s.account_id
"""


async def load(
    conn: asyncpg.Connection,
    records: list[tuple[Any, ...]],
    progress: ImportProgress,
) -> None:
    """Stage and upsert `records` inside the caller's transaction on `conn`."""
    progress.phase = "staging"
    await conn.execute(STAGING)
    for start in range(0, len(records), COPY_CHUNK):
        chunk = records[start : start + COPY_CHUNK]
        await conn.copy_records_to_table("import_accounts", records=chunk, columns=STAGING_COLUMNS)
        progress.rows_staged += len(chunk)
    progress.phase = "upserting"
    await conn.execute("ANALYZE import_accounts")  # a temporary table has no statistics otherwise
    await conn.execute(UPSERT)
    for phase, sql in STEPS:
        progress.phase = phase
        await conn.execute(sql)
    for line, external_id, parent in await conn.fetch(UNKNOWN_PARENTS):
        progress.error(line, external_id, "parent_external_id", f"no account has the external id {parent}")
    for line, external_id, account_id, domain in await conn.fetch(TAKEN_DOMAINS):
        progress.error(line, external_id, "domains", f"{domain} belongs to another account")
        await conn.execute(
            "UPDATE accounts SET domains = array_remove(domains, $1) WHERE account_id = $2",
            domain,
            account_id,
        )
    counts = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM import_result"
    )
    assert counts is not None
    progress.inserted, progress.updated = counts[0], counts[1]


WRITTEN = (
    "SELECT r.inserted, a.account_id, a.external_id, a.name, a.domains, a.website, a.country, a.industry,"
    " a.employees, a.parent_id, a.owner, a.csm, a.is_customer, a.open_opps, a.last_activity_at, a.version,"
    " a.created_at, a.updated_at FROM import_result r JOIN accounts a USING (account_id)"
)


async def loaded(conn: asyncpg.Connection, chunk: int) -> AsyncIterator[list[tuple[bool, StoredAccount]]]:
    """Every account the load wrote, with whether it was new, `chunk` at a time."""
    cursor = conn.cursor(WRITTEN, prefetch=chunk)
    batch: list[tuple[bool, StoredAccount]] = []
    async for row in cursor:
        fields = dict(row)
        batch.append((fields.pop("inserted"), StoredAccount.model_validate(fields)))
        if len(batch) >= chunk:
            yield batch
            batch = []
    if batch:
        yield batch
