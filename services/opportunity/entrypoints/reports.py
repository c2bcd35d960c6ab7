"""Report routes under /v1/reports: funnel, velocity, aging, coverage, reverse funnel, export,
handoffs and routing fairness."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from services.opportunity.app import handoff_reports, reports
from services.opportunity.entrypoints.deps import SettingsDep, UowDep, UowsDep
from services.opportunity.entrypoints.models import OppTypeIn

router = APIRouter(prefix="/reports", tags=["reports"])
Rate = Annotated[float | None, Query(ge=1e-6, le=1)]
TypeQ = Annotated[OppTypeIn, Query(alias="type")]
FromQ = Annotated[date | None, Query(alias="from", description="Opps created on or after this day.")]
ToQ = Annotated[date | None, Query(alias="to", description="Opps created before this day.")]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/handoffs")
async def handoff_report(
    uow: UowDep,
    start: Annotated[
        date | None, Query(alias="from", description="Handoffs assigned on or after this day.")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="Handoffs assigned before this day.")] = None,
) -> dict[str, Any]:
    """Time to accept per team and per person, outcomes per stage or route (escalated, reassigned,
    unowned) and SLA breaches per stage; the last four weeks unless told."""
    begins, ends = handoff_reports.window(start, end, datetime.now(UTC).date())
    return await handoff_reports.acceptance(uow, begins, ends)


@router.get("/routing-fairness")
async def routing_fairness(
    uow: UowDep,
    pool_id: Annotated[str | None, Query(max_length=255)] = None,
    turn: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> dict[str, Any]:
    """Assignments per pool member in a turn (the current one by default) against their weight."""
    return await handoff_reports.fairness(uow, pool_id, turn)


@router.get("/funnel")
async def funnel(
    uow: UowDep, settings: SettingsDep, opp_type: TypeQ = "acquisition", start: FromQ = None, end: ToQ = None
) -> dict[str, Any]:
    """Opps that reached each stage (skipped stages count as passed) and stage-to-stage conversion."""
    pipeline, cohort = reports.cohort(settings, opp_type, start, end)
    return await reports.funnel(uow, pipeline, cohort)


@router.get("/velocity")
async def velocity(
    uow: UowDep, settings: SettingsDep, opp_type: TypeQ = "acquisition", start: FromQ = None, end: ToQ = None
) -> dict[str, Any]:
    """Days from first entering each stage to first entering a later one; median and p90."""
    pipeline, cohort = reports.cohort(settings, opp_type, start, end)
    spans = await uow.reports.velocity(pipeline, cohort)
    return {"type": opp_type, "from": start, "to": end, "stages": spans}


@router.get("/aging")
async def aging(
    uow: UowDep,
    settings: SettingsDep,
    opp_type: TypeQ = "acquisition",
    start: FromQ = None,
    end: ToQ = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Open opps' time in their current stage with SLA state: per stage, and the oldest opps."""
    pipeline, cohort = reports.cohort(settings, opp_type, start, end)
    stages, oldest = await uow.reports.aging(pipeline, cohort, datetime.now(UTC), limit)
    return {"type": opp_type, "stages": stages, "oldest": oldest}


@router.get("/buying-group-coverage")
async def coverage(
    uow: UowDep,
    settings: SettingsDep,
    opp_type: TypeQ = "acquisition",
    start: FromQ = None,
    end: ToQ = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Per open opp: committee roles present vs what its next stage's gate requires, and who is missing."""
    pipeline, cohort = reports.cohort(settings, opp_type, start, end)
    return await reports.coverage(uow, settings.pipelines, pipeline, cohort, limit)


@router.get("/reverse-funnel")
async def reverse_funnel_plan(
    uow: UowDep,
    settings: SettingsDep,
    revenue_target: Annotated[float, Query(gt=0, le=1e13)],
    average_price: Annotated[float, Query(ge=0.01, le=1e12)],
    marketing_share: Annotated[float, Query(ge=1e-6, le=1)] = 1.0,
    suspect_to_prospect: Rate = None,
    prospect_to_mql: Rate = None,
    mql_to_sql: Rate = None,
    sql_to_win: Rate = None,
) -> dict[str, Any]:
    """Opps, SQLs, MQLs, prospects and suspects a revenue target needs, against what the funnel holds.
    A rate left out is the acquisition funnel's observed one."""
    given = {
        "suspect_to_prospect": suspect_to_prospect,
        "prospect_to_mql": prospect_to_mql,
        "mql_to_sql": mql_to_sql,
        "sql_to_win": sql_to_win,
    }
    return await reports.plan(
        uow,
        settings,
        revenue_target=revenue_target,
        average_price=average_price,
        marketing_share=marketing_share,
        given=given,
    )


@router.get("/export")
async def export(
    uows: UowsDep,
    settings: SettingsDep,
    format: Annotated[str, Query(pattern="^(csv|ndjson)$")] = "csv",
    opp_type: Annotated[OppTypeIn | None, Query(alias="type")] = None,
    start: FromQ = None,
    end: ToQ = None,
) -> StreamingResponse:
    """Every opp with all its stage-stamp columns, for BI tools (streamed)."""
    cohort = reports.cohort(settings, opp_type, start, end)[1] if opp_type else None
    columns = reports.export_columns(settings.pipelines)

    async def lines() -> AsyncIterator[str]:
        async with uows() as uow:
            if format == "csv":
                yield _csv_line(columns)
            async for row in uow.reports.export_rows(settings.pipelines, cohort):
                if format == "csv":
                    yield _csv_line([_text(row[c]) for c in columns])
                else:
                    yield json.dumps({c: _json(row[c]) for c in columns}) + "\n"

    media = "text/csv" if format == "csv" else "application/x-ndjson"
    filename = f"opportunities.{format}"
    return StreamingResponse(
        lines(), media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue()


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _text(value: Any) -> str:
    return "" if value is None else str(_json(value))
