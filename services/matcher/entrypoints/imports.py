"""`POST /v1/accounts/import`: CSV or NDJSON in the body, upserted by external id.

The import runs in the background (its progress at `GET /v1/accounts/import/{import_id}`), or
in the request with `?wait=true`. Progress is saved in the database as each phase ends: any
replica answers for an import another one runs.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from services.matcher.app.imports import import_progress, run_import, save_progress
from services.matcher.app.models import ImportProgress
from services.matcher.entrypoints.deps import UowsDep
from services.matcher.entrypoints.models import ImportOut
from shared.bulk import format_of
from shared.problems import Problem

router = APIRouter(tags=["account import"])


def _out(progress: ImportProgress) -> ImportOut:
    return ImportOut.model_validate(asdict(progress))


@router.post("/accounts/import", status_code=202)
async def import_accounts(
    request: Request,
    response: Response,
    uows: UowsDep,
    format: Annotated[Literal["csv", "ndjson"] | None, Query(description="else from Content-Type")] = None,
    wait: Annotated[bool, Query(description="run in the request and answer with the final report")] = False,
) -> ImportOut:
    """Accounts as CSV (a header row; `domains` separated by `;`) or NDJSON, upserted by `external_id`."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = format_of(content_type, format)
    if fmt is None:
        raise Problem(
            415,
            "Unsupported Media Type",
            "Send text/csv or application/x-ndjson, or name the format with ?format=csv|ndjson.",
            errors=[{"field": "content-type", "reason": f"{content_type or 'none'} is not CSV or NDJSON"}],
        )
    body = await request.body()
    if not body.strip():
        raise Problem(
            422, "Invalid request", "The body is empty.", errors=[{"field": "body", "reason": "empty"}]
        )
    progress = ImportProgress(import_id=str(uuid.uuid4()), format=fmt)
    await save_progress(uows, progress)
    response.headers["Location"] = f"/v1/accounts/import/{progress.import_id}"
    if wait:
        await run_import(uows, body, fmt, progress)
        response.status_code = 200
    else:
        task = asyncio.create_task(run_import(uows, body, fmt, progress))
        request.app.state.import_tasks = {*getattr(request.app.state, "import_tasks", set()), task}
        task.add_done_callback(request.app.state.import_tasks.discard)
    return _out(progress)


@router.get("/accounts/import/{import_id}")
async def get_import(import_id: str, uows: UowsDep) -> ImportOut:
    progress = await import_progress(uows, import_id)
    if progress is None:
        raise Problem(404, "Not Found", f"No import {import_id}.")
    return _out(progress)
