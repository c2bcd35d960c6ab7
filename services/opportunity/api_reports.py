"""Report routes under /v1/reports: funnel, velocity, aging, coverage, reverse funnel, export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from services.opportunity import reports
from services.opportunity.domain.gates import check_gate
from services.opportunity.domain.pipelines import WON, Pipeline
from services.opportunity.domain.planner import Rates, funnel_levels, reverse_funnel
from services.opportunity.models import OppTypeIn
from services.opportunity.reports import Cohort
from services.opportunity.views import SettingsDep
from shared.app import RuntimeDep, UowDep
from shared.problems import Problem

router = APIRouter(prefix="/reports", tags=["reports"])
Rate = Annotated[float | None, Query(gt=0, le=1)]


def _cohort(
    settings: SettingsDep, opp_type: str, start: date | None, end: date | None
) -> tuple[Pipeline, Cohort]:
    if not settings.pipelines.enabled(opp_type):
        raise Problem(422, "Invalid request", f"{opp_type} opportunities are switched off.", field="type")
    if start and end and end <= start:
        raise Problem(422, "Invalid request", "'to' must be after 'from'.", field="to")
    return settings.pipelines[opp_type], Cohort(opp_type, start, end)


TypeQ = Annotated[OppTypeIn, Query(alias="type")]
FromQ = Annotated[date | None, Query(alias="from", description="Opps created on or after this day.")]
ToQ = Annotated[date | None, Query(alias="to", description="Opps created before this day.")]


@router.get("/funnel")
async def funnel(
    uow: UowDep, settings: SettingsDep, opp_type: TypeQ = "acquisition", start: FromQ = None, end: ToQ = None
) -> dict[str, Any]:
    """Opps that reached each stage (skipped stages count as passed) and stage-to-stage conversion."""
    pipeline, cohort = _cohort(settings, opp_type, start, end)
    return _funnel(pipeline, cohort, await reports.funnel_counts(uow.session, pipeline, cohort))


def _funnel(pipeline: Pipeline, cohort: Cohort, counts: dict[str, Any]) -> dict[str, Any]:
    progress = [s for s in pipeline.stages if not s.closed] + [pipeline.stage(WON)]
    stages = []
    for i, stage in enumerate(progress):
        reached = counts[f"reached_{stage.name}"]
        following = progress[i + 1].name if i + 1 < len(progress) else None
        stages.append(
            {
                "stage": stage.name,
                "team": stage.team,
                "reached": reached,
                "current": counts[f"current_{stage.name}"],
                "next_stage": following,
                "conversion_to_next": _rate(counts[f"reached_{following}"], reached) if following else None,
            }
        )
    total, won = counts["total"], counts[f"reached_{WON}"]
    return {
        "type": cohort.type,
        "from": cohort.start,
        "to": cohort.end,
        "total": total,
        "won": won,
        "lost": counts["lost"],
        "win_rate": _rate(won, total),
        "stages": stages,
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@router.get("/velocity")
async def velocity(
    uow: UowDep, settings: SettingsDep, opp_type: TypeQ = "acquisition", start: FromQ = None, end: ToQ = None
) -> dict[str, Any]:
    """Days from first entering each stage to first entering a later one; median and p90."""
    pipeline, cohort = _cohort(settings, opp_type, start, end)
    spans = await reports.velocity(uow.session, pipeline, cohort)
    return {"type": opp_type, "from": start, "to": end, "stages": spans}


@router.get("/aging")
async def aging(
    uow: UowDep,
    settings: SettingsDep,
    opp_type: TypeQ = "acquisition",
    start: FromQ = None,
    end: ToQ = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Open opps' time in their current stage with SLA state: per stage, and the oldest opps."""
    pipeline, cohort = _cohort(settings, opp_type, start, end)
    stages, oldest = await reports.aging(uow.session, pipeline, cohort, datetime.now(UTC), limit)
    return {"type": opp_type, "stages": stages, "oldest": oldest}


@router.get("/buying-group-coverage")
async def coverage(
    uow: UowDep,
    settings: SettingsDep,
    opp_type: TypeQ = "acquisition",
    start: FromQ = None,
    end: ToQ = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Per open opp: committee roles present vs what its next stage's gate requires, and who is missing."""
    pipeline, cohort = _cohort(settings, opp_type, start, end)
    pipelines = settings.pipelines
    opps = []
    for row in await reports.roles_of_open_opps(uow.session, cohort, limit):
        stage = pipeline.index(row["stage"]) if pipeline.has(row["stage"]) else None
        following = pipeline.stages[stage + 1] if stage is not None else None
        present = [r for r in pipelines.committee if r in row["roles"]]
        gap = None
        if following is not None and not following.closed:
            gap = check_gate(following, committee=pipelines.committee, roles=row["roles"], fields={})
        opps.append(
            {
                "opp_id": row["opp_id"],
                "account_id": row["account_id"],
                "stage": row["stage"],
                "owner": row["owner"],
                "roles_present": present,
                "coverage": f"{len(present)} of {len(pipelines.committee)}",
                "next_stage": following.name if following and not following.closed else None,
                "next_stage_needs": following.gate.roles_covered if following else None,
                "missing_roles": list(gap.missing_roles) if gap else [],
                "roles_short": gap.more_roles if gap else 0,
                "uncovered_roles": [r for r in pipelines.committee if r not in row["roles"]],
                "ready": gap is None or (not gap.missing_roles and gap.more_roles == 0),
            }
        )
    return {"type": opp_type, "committee": list(pipelines.committee), "opps": opps}


@router.get("/reverse-funnel")
async def reverse_funnel_plan(
    uow: UowDep,
    settings: SettingsDep,
    revenue_target: Annotated[float, Query(gt=0)],
    average_price: Annotated[float, Query(gt=0)],
    marketing_share: Annotated[float, Query(gt=0, le=1)] = 1.0,
    suspect_to_prospect: Rate = None,
    prospect_to_mql: Rate = None,
    mql_to_sql: Rate = None,
    sql_to_win: Rate = None,
) -> dict[str, Any]:
    """Opps, SQLs, MQLs, prospects and suspects a revenue target needs, against what the funnel holds.
    A rate left out is the acquisition funnel's observed one."""
    pipeline, cohort = _cohort(settings, "acquisition", None, None)
    counts = await reports.funnel_counts(uow.session, pipeline, cohort)
    levels = funnel_levels(pipeline)
    observed = _observed_rates(levels, counts)
    given = {
        "suspect_to_prospect": suspect_to_prospect,
        "prospect_to_mql": prospect_to_mql,
        "mql_to_sql": mql_to_sql,
        "sql_to_win": sql_to_win,
    }
    rates: dict[str, float] = {}
    for name, value in given.items():
        chosen = value if value is not None else observed[name]
        if not chosen:
            raise Problem(
                422,
                "Invalid request",
                f"Give {name}: the funnel has no observed rate for it yet.",
                field=name,
            )
        rates[name] = chosen
    needed = reverse_funnel(
        revenue_target=revenue_target,
        marketing_share=marketing_share,
        average_price=average_price,
        rates=Rates(**rates),
    )
    holds = {level: sum(counts[f"current_{s}"] for s in stages) for level, stages in levels.items()}
    need = {
        "opps": needed.opps,
        "sqls": needed.sqls,
        "mqls": needed.mqls,
        "prospects": needed.prospects,
        "suspects": needed.suspects,
    }
    # Opps to win: the open ones past the SDR stage, in sales' hands.
    holds["opps"] = sum(counts[f"current_{s}"] for s in levels["sqls"][1:])
    return {
        "rates": rates,
        "rate_source": {n: "given" if v is not None else "observed" for n, v in given.items()},
        "needed": need,
        "holds": holds,
        "gap": {k: max(0, v - holds.get(k, 0)) for k, v in need.items()},
        "levels": levels,
    }


def _observed_rates(levels: dict[str, tuple[str, ...]], counts: dict[str, Any]) -> dict[str, float | None]:
    def reached(level: str) -> int:
        stages = levels[level]
        return int(counts[f"reached_{stages[0]}"]) if stages else 0

    return {
        "suspect_to_prospect": _rate(reached("prospects"), reached("suspects")),
        "prospect_to_mql": _rate(reached("mqls"), reached("prospects")),
        "mql_to_sql": _rate(reached("sqls"), reached("mqls")),
        "sql_to_win": _rate(counts[f"reached_{WON}"], reached("sqls")),
    }


@router.get("/export")
async def export(
    runtime: RuntimeDep,
    settings: SettingsDep,
    format: Annotated[str, Query(pattern="^(csv|ndjson)$")] = "csv",
    opp_type: Annotated[OppTypeIn | None, Query(alias="type")] = None,
    start: FromQ = None,
    end: ToQ = None,
) -> StreamingResponse:
    """Every opp with all its stage-stamp columns, for BI tools (streamed)."""
    cohort = _cohort(settings, opp_type, start, end)[1] if opp_type else None
    columns = [*reports.EXPORT_COLUMNS, *reports.stamp_columns(settings.pipelines)]

    async def lines() -> AsyncIterator[str]:
        async with runtime.sessions() as session:
            if format == "csv":
                yield _csv_line(columns)
            async for row in reports.export_rows(session, settings.pipelines, cohort):
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
