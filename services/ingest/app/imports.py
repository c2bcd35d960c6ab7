"""Bulk lead import: a CRM's backlog or a trade-show list, as CSV or NDJSON.

Rows are validated and normalised like `POST /v1/leads`; the valid ones load in chunks, each
one transaction (a multi-row insert, the events of its new leads, the progress report), so a
stopped import keeps what it loaded and the same file posted again finds those leads
`unchanged`. New leads' `lead.created` go on the bulk lane, which the matcher reads only when
live leads leave it idle; between chunks the import waits while the outbox holds more than a
chunk's worth of events, so a live lead's event never queues behind a whole file.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import ValidationError

from services.ingest.app import leads
from services.ingest.app.models import LeadImport
from services.ingest.app.uow import IngestUnitOfWork
from services.ingest.domain.inputs import LeadIn
from services.ingest.domain.leads import normalised_lead
from shared.bulk import Format, rows
from shared.errors import Conflict, Invalid, NotFound, Unavailable
from shared.events import LeadCreated
from shared.telemetry import instruments

CHUNK = 500
MAX_BACKLOG = 2 * CHUNK
BACKLOG_POLL_SECONDS = 0.05
CHUNK_ATTEMPTS = 5
log = structlog.get_logger(__name__)
Uows = Callable[[], IngestUnitOfWork]
Row = tuple[int, dict[str, Any]]


def new_import(fmt: Format) -> LeadImport:
    now = datetime.now(UTC)
    return LeadImport(import_id=str(uuid.uuid4()), format=fmt, started_at=now, updated_at=now)


def validate(body: bytes, fmt: Format, report: LeadImport) -> list[Row]:
    """(line, normalised fields) of the valid rows; the last row of an email wins."""
    by_email: dict[str, Row] = {}
    for line, row in rows(body, fmt):
        report.rows_read += 1
        if isinstance(row, str):
            report.error(line, "row", row)
            continue
        try:
            fields = normalised_lead(LeadIn.model_validate({"source": "import", **row}))
        except ValidationError as exc:
            for problem in exc.errors():
                report.error(line, ".".join(str(p) for p in problem["loc"]) or "row", problem["msg"])
            continue
        except Invalid as exc:
            for error in exc.errors:
                report.error(line, error["field"], error["reason"])
            continue
        if (earlier := by_email.get(fields["email"])) is not None:
            report.error(earlier[0], "email", f"repeated on line {line}, which wins")
        by_email[fields["email"]] = (line, fields)
    report.rows_valid = len(by_email)
    return list(by_email.values())


async def start(uows: Uows, fmt: Format) -> LeadImport:
    report = new_import(fmt)
    async with uows() as uow:
        await uow.imports.save(report)
        await uow.commit()
    return report


async def run(uows: Uows, report: LeadImport, body: bytes, fmt: Format) -> LeadImport:
    """Validate and load; the report (in the database) says how far it got and what failed."""
    try:
        valid = await asyncio.to_thread(validate, body, fmt, report)
        report.phase = "loading"
        for first in range(0, len(valid), CHUNK):
            chunk = valid[first : first + CHUNK]
            await _outbox_drained(uows)
            await _load_chunk(uows, report, chunk)
        report.status, report.phase = "done", "done"
    except Exception as exc:
        log.exception("leads.import_failed", import_id=report.import_id)
        report.status, report.failure = "failed", f"{type(exc).__name__}: {exc}"
    report.finished_at = report.updated_at = datetime.now(UTC)
    async with uows() as uow:
        await uow.imports.save(report)
        await uow.commit()
    return report


async def _outbox_drained(uows: Uows) -> None:
    while True:
        async with uows() as uow:
            if await uow.backlog(MAX_BACKLOG) < MAX_BACKLOG:
                return
        await asyncio.sleep(BACKLOG_POLL_SECONDS)


async def _load_chunk(uows: Uows, report: LeadImport, chunk: list[Row]) -> None:
    """One transaction; a contended or interrupted one is retried from the same counts."""
    before = report.model_copy(deep=True)
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            async with uows() as uow:
                await _load(uow, report, chunk)
                report.updated_at = datetime.now(UTC)
                await uow.imports.save(report)
                await uow.commit()
            return
        except Unavailable:
            if attempt == CHUNK_ATTEMPTS:
                raise
            for name in LeadImport.model_fields:
                setattr(report, name, getattr(before, name))
            await asyncio.sleep(0.5 * attempt)


async def _load(uow: IngestUnitOfWork, report: LeadImport, chunk: list[Row]) -> None:
    new = {fields["email"]: str(uuid.uuid4()) for _, fields in chunk}
    inserted = await uow.leads.insert_many(
        [fields | {"lead_id": new[fields["email"]]} for _, fields in chunk]
    )
    for line, fields in chunk:
        if fields["email"] in inserted:
            created = LeadCreated(lead_id=inserted[fields["email"]], identified_account_id=None, **fields)
            uow.emit(created, aggregate_version=1, lane="bulk")
            report.created += 1
            continue
        try:
            _, outcome = await leads.record_lead(uow, fields)
        except Conflict as exc:  # erased: recorded again only with fresh consent
            report.refused += 1
            report.error(line, exc.field or "email", exc.reason or exc.detail)
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    if inserted:
        instruments.domain_counter("leads.created", "Leads created.").add(len(inserted), {"source": "import"})


async def report_of(uow: IngestUnitOfWork, import_id: str) -> LeadImport:
    found = await uow.imports.get(import_id)
    if found is None:
        raise NotFound(f"No lead import {import_id}.")
    return found
