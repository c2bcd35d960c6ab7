"""Bulk account import: parse and validate rows, COPY them into a staging table, then upsert by
external id in a few set-based statements (accounts, parents, domains, account events).

Rows that fail validation are reported (line, field, reason) and left out; the rest load in
one transaction, so an import is all-or-nothing for the rows it accepted.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
from pydantic import ValidationError

from services.matcher.domain.names import company_name, domain_label
from services.matcher.models import AccountImportRow
from shared.domains import registrable_domain
from shared.events import AccountCreated, Envelope, encode_headers

Format = Literal["csv", "ndjson"]
MAX_REPORTED_ERRORS = 1000
DOMAINS = 4  # position of `domains` (then `labels`) in a staging record
COPY_CHUNK = 50_000
STAGING_COLUMNS: tuple[str, ...] = (
    *("line", "external_id", "account_id", "name", "domains", "labels", "website", "country", "industry"),
    *("employees", "parent_external_id", "owner", "csm", "is_customer", "name_key", "name_text", "acronym"),
    *("core_key", "sorted_key", "last_activity_at"),
)


@dataclass
class ImportProgress:
    import_id: str
    format: str
    status: str = "running"  # running | done | failed
    phase: str = "parsing"
    rows_read: int = 0
    rows_valid: int = 0
    rows_staged: int = 0
    inserted: int = 0
    updated: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    failure: str | None = None

    def error(self, line: int, external_id: str | None, field_name: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(
                {"line": line, "external_id": external_id, "field": field_name, "reason": reason}
            )


def _rows(body: bytes, fmt: Format) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, the row's fields) or (line number, why it could not be read)."""
    text = body.decode("utf-8-sig")
    if fmt == "ndjson":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, f"not JSON: {exc.msg}"
                continue
            yield number, value if isinstance(value, dict) else "not a JSON object"
        return
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        cells = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
        yield reader.line_num, {k: v for k, v in cells.items() if v not in ("", None)}


def _record(line: int, row: AccountImportRow, progress: ImportProgress) -> tuple[Any, ...]:
    name = company_name(row.name)
    domains: list[str] = []
    for given in [*row.domains, row.website or ""]:
        domain = registrable_domain(given)
        if domain and domain not in domains:
            domains.append(domain)
        elif given and not domain:
            progress.error(line, row.external_id, "domains", f"{given!r} is not a web domain; left out")
    values = row.model_dump() | {
        "line": line,
        "account_id": str(uuid.uuid4()),
        "domains": domains,
        "labels": [domain_label(d) for d in domains],
        "name_key": name.key,
        "name_text": name.text,
        "acronym": name.acronym,
        "core_key": name.core,
        "sorted_key": name.sorted_key,
    }
    return tuple(values[column] for column in STAGING_COLUMNS)


def validate(body: bytes, fmt: Format, progress: ImportProgress) -> list[tuple[Any, ...]]:
    """Staging records of the valid rows; the last row of an external id wins, a domain's first row."""
    by_external_id: dict[str, tuple[Any, ...]] = {}
    for line, row in _rows(body, fmt):
        progress.rows_read += 1
        if isinstance(row, str):
            progress.error(line, None, "body", row)
            continue
        try:
            parsed = AccountImportRow.model_validate(row)
        except ValidationError as exc:
            for problem in exc.errors():
                where = ".".join(str(p) for p in problem["loc"]) or "row"
                progress.error(line, row.get("external_id"), where, problem["msg"])
            continue
        if parsed.external_id in by_external_id:
            earlier = by_external_id[parsed.external_id][0]
            progress.error(earlier, parsed.external_id, "external_id", f"repeated on line {line}, which wins")
        by_external_id[parsed.external_id] = _record(line, parsed, progress)
    owners: dict[str, str] = {}
    records = []
    for record in by_external_id.values():
        kept = []
        for domain in record[DOMAINS]:
            if owners.setdefault(domain, record[1]) == record[1]:
                kept.append(domain)
            else:
                progress.error(
                    record[0], record[1], "domains", f"{domain} is also claimed by {owners[domain]}"
                )
        records.append((*record[:DOMAINS], kept, [domain_label(d) for d in kept], *record[DOMAINS + 2 :]))
    progress.rows_valid = len(records)
    return records


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
EVENTS = """
INSERT INTO outbox (event_id, topic, key, headers, payload)
SELECT e.event_id, CASE WHEN e.inserted THEN $1 ELSE $2 END, e.account_id,
    $3::jsonb || jsonb_build_object('ce_id', e.event_id, 'ce_subject', e.account_id,
        'ce_type', CASE WHEN e.inserted THEN 'account.created' ELSE 'account.updated' END,
        'ce_dataschema', CASE WHEN e.inserted THEN 'urn:cascade:event:account.created:v1'
                              ELSE 'urn:cascade:event:account.updated:v1' END,
        'ce_aggregateversion', e.version::text),
    jsonb_build_object('account_id', e.account_id, 'name', e.name, 'domains', to_jsonb(e.domains),
        'website', e.website, 'country', e.country, 'industry', e.industry, 'employees', e.employees,
        'parent_id', e.parent_id, 'owner', e.owner, 'csm', e.csm, 'is_customer', e.is_customer)
FROM (
    SELECT gen_random_uuid()::text AS event_id, r.inserted, a.*
    FROM import_result r JOIN accounts a USING (account_id)
) e
"""


def _header_template() -> str:
    """The CloudEvents headers every account event shares; the SQL fills in id, subject, type."""
    template = Envelope(
        id="", source="cascade/matcher", type=AccountCreated.TYPE, subject="", time=datetime.now(UTC), data={}
    )
    return json.dumps({k: v.decode() for k, v in encode_headers(template)})


async def load(
    conn: asyncpg.Connection,
    records: list[tuple[Any, ...]],
    progress: ImportProgress,
    topic: Callable[[str], str],
    on_progress: Callable[[], Any] = lambda: None,
) -> None:
    """Stage and upsert `records` inside the caller's transaction on `conn`."""
    progress.phase = "staging"
    await conn.execute(STAGING)
    for start in range(0, len(records), COPY_CHUNK):
        chunk = records[start : start + COPY_CHUNK]
        await conn.copy_records_to_table("import_accounts", records=chunk, columns=STAGING_COLUMNS)
        progress.rows_staged += len(chunk)
        on_progress()
    progress.phase = "upserting"
    on_progress()
    await conn.execute("ANALYZE import_accounts")  # a temporary table has no statistics otherwise
    await conn.execute(UPSERT)
    for phase, sql in STEPS:
        progress.phase = phase
        on_progress()
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
    progress.phase = "events"
    on_progress()
    await conn.execute(EVENTS, topic("account.created"), topic("account.updated"), _header_template())
    counts = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM import_result"
    )
    assert counts is not None
    progress.inserted, progress.updated = counts[0], counts[1]
