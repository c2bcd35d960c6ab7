"""Report routes: the influence report (JSON, or CSV / NDJSON / Parquet for BI), a campaign's opps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from services.attribution.app import reports
from services.attribution.domain.models import ModelName
from services.attribution.entrypoints import export
from services.attribution.entrypoints.deps import SettingsDep, UowDep, UowsDep

router = APIRouter(prefix="/reports", tags=["reports"])
OppType = Literal["acquisition", "renewal", "upsell", "cross_sell"]
Grouping = Literal["campaign", "channel", "program", "type", "month", "quarter"]
ModelQ = Annotated[ModelName | None, Query(description="The attribution model (default: the setting's).")]
TypeQ = Annotated[OppType | None, Query(alias="type")]
FromQ = Annotated[date | None, Query(alias="from", description="Opps created on or after this day.")]
ToQ = Annotated[date | None, Query(alias="to", description="Opps created before this day.")]
AsOfQ = Annotated[
    datetime | date | None,
    Query(description="Buying groups, amounts and closes as they stood then (a day: at its end, UTC)."),
]


def day_start(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, UTC) if day else None


def as_moment(value: datetime | date | None) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value + timedelta(days=1), time.min, UTC) - timedelta(microseconds=1)
    return None


@router.get("/influence")
async def influence(
    uow: UowDep,
    settings: SettingsDep,
    model: ModelQ = None,
    group_by: Grouping = "campaign",
    opp_type: TypeQ = None,
    start: FromQ = None,
    end: ToQ = None,
    as_of: AsOfQ = None,
) -> dict[str, Any]:
    """Per campaign (or channel, program, opp type, month, quarter of creation): opps and pipeline
    sourced and influenced, pipeline and won revenue attributed by the model, cost, cost per opp
    and return on cost. With `as_of`, recomputed from the history as things stood then."""
    return await reports.influence(
        uow,
        settings,
        model=model or settings.attribution_default_model,
        group_by=group_by,
        opp_type=opp_type,
        start=day_start(start),
        end=day_start(end),
        as_of=as_moment(as_of),
    )


@router.get("/influence/export")
async def influence_export(
    uows: UowsDep,
    settings: SettingsDep,
    format: Literal["csv", "ndjson", "parquet"] = "csv",
    level: Annotated[
        Literal["report", "credits"],
        Query(
            description="`report`: the influence rows; `credits`: one row per opp and campaign, every model."
        ),
    ] = "report",
    model: ModelQ = None,
    group_by: Grouping = "campaign",
    opp_type: TypeQ = None,
    start: FromQ = None,
    end: ToQ = None,
    as_of: AsOfQ = None,
) -> StreamingResponse:
    """The same numbers for a BI tool, streamed."""
    if level == "credits":
        batches = export.credit_batches(uows, opp_type=opp_type, start=day_start(start), end=day_start(end))
    else:
        batches = export.report_batches(
            uows,
            settings,
            model=model or settings.attribution_default_model,
            group_by=group_by,
            opp_type=opp_type,
            start=day_start(start),
            end=day_start(end),
            as_of=as_moment(as_of),
        )
    return export.response(batches, format, f"influence-{level}")


@router.get("/influence/campaigns/{campaign_id}")
async def campaign_detail(
    campaign_id: str,
    uow: UowDep,
    settings: SettingsDep,
    model: ModelQ = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """One campaign: its totals and the opps it touched or sourced, each with every model's cents."""
    return await reports.campaign_detail(
        uow, campaign_id, model=model or settings.attribution_default_model, limit=limit
    )
