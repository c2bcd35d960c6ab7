"""Bulk account import: parse and validate rows here; the directory stages them (COPY) and
upserts them by external id in a few set-based statements; every account it wrote gets its
`account.created` / `account.updated` event through the catalog, in the same transaction.

Rows that fail validation are reported (line, field, reason) and left out; the rest load in
one transaction, so an import is all-or-nothing for the rows it accepted.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import ValidationError

from services.matcher.app.models import ImportProgress
from services.matcher.app.uow import MatcherUnitOfWork
from services.matcher.domain.inputs import AccountImportRow
from services.matcher.domain.names import company_name, domain_label
from shared.bulk import Format, rows
from shared.domains import registrable_domain
from shared.events import AccountCreated, AccountUpdated

DOMAINS = 4  # position of `domains` (then `labels`) in a staging record
EVENT_CHUNK = 5_000
log = structlog.get_logger(__name__)
STAGING_COLUMNS: tuple[str, ...] = (
    *("line", "external_id", "account_id", "name", "domains", "labels", "website", "country", "industry"),
    *("employees", "parent_external_id", "owner", "csm", "is_customer", "name_key", "name_text", "acronym"),
    *("core_key", "sorted_key", "last_activity_at"),
)


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
    for line, row in rows(body, fmt):
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


async def run_import(
    uows: Callable[[], MatcherUnitOfWork], body: bytes, fmt: Format, progress: ImportProgress
) -> None:
    """Validate, load and emit; the report says what went wrong (then nothing of the rows was
    written). The report is saved as each phase ends, where every replica can read it."""
    try:
        records = await asyncio.to_thread(validate, body, fmt, progress)
        progress.phase = "loading"
        await save_progress(uows, progress)
        async with uows() as uow:
            await uow.accounts.load(records, progress)
            progress.phase = "events"
            async for written in uow.accounts.loaded(EVENT_CHUNK):
                for inserted, account in written:
                    event = AccountCreated if inserted else AccountUpdated
                    uow.emit(event.model_validate(account.model_dump()), aggregate_version=account.version)
                await uow.flush_events()
            await uow.commit()
        progress.phase = "analysing"
        await save_progress(uows, progress)
        await uow.accounts.refresh_statistics()
        progress.status, progress.phase = "done", "done"
    except Exception as exc:
        log.exception("accounts.import_failed", import_id=progress.import_id)
        progress.status, progress.failure = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        progress.finished_at = datetime.now(UTC)
        await save_progress(uows, progress)


async def save_progress(uows: Callable[[], MatcherUnitOfWork], progress: ImportProgress) -> None:
    async with uows() as uow:
        await uow.imports.save(progress)
        await uow.commit()


async def import_progress(uows: Callable[[], MatcherUnitOfWork], import_id: str) -> ImportProgress | None:
    async with uows() as uow:
        return await uow.imports.get(import_id)
