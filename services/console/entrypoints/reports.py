"""Report pages: funnel, velocity, aging, influence, the reverse-funnel planner and the handshakes,
each a chart with its table beside it and the same table as CSV (`?format=csv`, `&part=` on a page
of several); filters live in the URL."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console.app import reports
from services.console.domain.charts import INFLUENCE_MODELS, Report
from services.console.entrypoints.deals import TYPES
from services.console.entrypoints.deps import ServicesDep, UowDep
from services.console.entrypoints.web import Viewer, ViewerDep, page
from shared.errors import DomainError

router = APIRouter(include_in_schema=False)
PLAN_FIELDS = (
    "revenue_target",
    "average_price",
    "marketing_share",
    "suspect_to_prospect",
    "prospect_to_mql",
    "mql_to_sql",
    "sql_to_win",
)


@dataclass(frozen=True)
class Section:
    part: str
    report: Report
    csv_url: str


def _csv(report: Report, name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(report.headers)
    writer.writerows(["" if v is None else v for v in row] for row in report.rows)
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    return Response(out.getvalue(), media_type="text/csv", headers=headers)


async def _report(
    request: Request,
    viewer: Viewer,
    uow: UowDep,
    name: str,
    make: Callable[[], Awaitable[Report | dict[str, Report]]],
    **context: Any,
) -> Response:
    """A report page; a page of several parts (a dict) exports each part as its own CSV (`part=`)."""
    if request.query_params.get("format") == "csv":
        try:
            made = await make()
        except DomainError:
            pass  # the page says what went wrong, in words
        else:
            if isinstance(made, Report):
                return _csv(made, name)
            part = request.query_params.get("part", "")
            part = part if part in made else next(iter(made))
            return _csv(made[part], f"{name}-{part}")

    kept = [(k, v) for k, v in request.query_params.items() if k not in ("format", "part")]

    def csv_url(part: str | None) -> str:
        query = urlencode([*kept, ("format", "csv"), *([("part", part)] if part else [])])
        return f"{request.url.path}?{query}"

    async def built() -> dict[str, Any]:
        made = await make()
        if isinstance(made, Report):
            return {"sections": [Section(name, made, csv_url(None))]}
        return {"sections": [Section(part, r, csv_url(part)) for part, r in made.items()]}

    return await page(request, viewer, uow, "report.html", built, name=name, **context)


def _cohort(request: Request) -> dict[str, str]:
    opp_type = request.query_params.get("type", "acquisition")
    params = {"type": opp_type if opp_type in TYPES else "acquisition"}
    for key in ("from", "to"):
        if request.query_params.get(key):
            params[key] = request.query_params[key]
    return params


@router.get("/reports")
async def index() -> Response:
    return RedirectResponse("/reports/funnel", status_code=303)


@router.get("/reports/influence")
async def influence(request: Request, uow: UowDep, viewer: ViewerDep, services: ServicesDep) -> Response:
    model = request.query_params.get("model", "linear")
    params = {"model": model if model in INFLUENCE_MODELS else "linear", **_cohort(request)}

    async def make() -> Report:
        return await reports.influence(services, viewer.actor, params)

    return await _report(
        request, viewer, uow, "influence", make, params=params, types=TYPES, models=INFLUENCE_MODELS
    )


@router.get("/reports/planner")
async def planner(request: Request, uow: UowDep, viewer: ViewerDep, services: ServicesDep) -> Response:
    params = {k: request.query_params[k] for k in PLAN_FIELDS if request.query_params.get(k)}
    if not params.get("revenue_target") or not params.get("average_price"):

        async def empty() -> dict[str, Any]:
            return {}

        return await page(
            request, viewer, uow, "report.html", empty, name="planner", params=params, plan_fields=PLAN_FIELDS
        )

    async def make() -> Report:
        return await reports.planner(services, viewer.actor, params)

    return await _report(request, viewer, uow, "planner", make, params=params, plan_fields=PLAN_FIELDS)


@router.get("/reports/handshakes")
async def handshakes(request: Request, uow: UowDep, viewer: ViewerDep, services: ServicesDep) -> Response:
    query = request.query_params
    window = {k: query[k] for k in ("from", "to") if query.get(k)}
    pools = {"pool_id": query["pool_id"].strip()} if query.get("pool_id", "").strip() else {}
    if pools and query.get("turn", "").isdigit():
        pools["turn"] = query["turn"]

    async def make() -> dict[str, Report]:
        return await reports.handshakes(services, viewer.actor, window, pools)

    return await _report(request, viewer, uow, "handshakes", make, params={**window, **pools})


@router.get("/reports/{name}")
async def opportunity_report(
    request: Request, name: str, uow: UowDep, viewer: ViewerDep, services: ServicesDep
) -> Response:
    if name not in reports.OPPORTUNITY_REPORTS:
        return RedirectResponse("/reports/funnel", status_code=303)
    params = _cohort(request)

    async def make() -> Report:
        return await reports.opportunity_report(services, viewer.actor, name, params)

    return await _report(request, viewer, uow, name, make, params=params, types=TYPES)
