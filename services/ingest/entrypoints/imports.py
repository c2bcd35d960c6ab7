"""`POST /v1/leads/import`: a file of leads (CSV or NDJSON) loaded in the background, behind
live traffic; its progress at `GET /v1/leads/import/{import_id}`, from any replica."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from services.ingest.app import imports
from services.ingest.app.models import LeadImport
from services.ingest.entrypoints.deps import UowDep, UowsDep
from shared.bulk import format_of
from shared.problems import Problem

router = APIRouter(tags=["lead import"])


@router.post("/leads/import", status_code=202)
async def import_leads(
    request: Request,
    response: Response,
    uows: UowsDep,
    format: Annotated[Literal["csv", "ndjson"] | None, Query(description="else from Content-Type")] = None,
    wait: Annotated[bool, Query(description="run in the request and answer with the final report")] = False,
) -> LeadImport:
    """Leads as CSV (a header row of `POST /v1/leads` field names) or NDJSON (one lead per line).

    Each row is validated like a single lead (errors by line, field and reason); a known email
    updates its lead. New leads go through matching like live ones, at a lower priority."""
    fmt = format_of(request.headers.get("content-type"), format)
    if fmt is None:
        raise Problem(
            415,
            "Unsupported Media Type",
            "Send text/csv or application/x-ndjson, or name the format with ?format=csv|ndjson.",
            errors=[{"field": "content-type", "reason": "not CSV or NDJSON"}],
        )
    body = await request.body()
    if not body.strip():
        raise Problem(
            422, "Invalid request", "The body is empty.", errors=[{"field": "body", "reason": "empty"}]
        )
    report = await imports.start(uows, fmt)
    response.headers["Location"] = f"/v1/leads/import/{report.import_id}"
    if wait:
        response.status_code = 200
        return await imports.run(uows, report, body, fmt)
    task = asyncio.create_task(imports.run(uows, report, body, fmt))
    request.app.state.lead_imports = {*getattr(request.app.state, "lead_imports", set()), task}
    task.add_done_callback(request.app.state.lead_imports.discard)
    return report


@router.get("/leads/import/{import_id}")
async def get_import(import_id: str, uow: UowDep) -> LeadImport:
    return await imports.report_of(uow, import_id)
