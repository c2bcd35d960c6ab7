"""Reports read from the services and shaped as a table with its chart."""

from __future__ import annotations

import asyncio
from typing import Any

from services.console.app.deals import pipelines
from services.console.app.ports import Services
from services.console.domain import charts, handshake_reports
from services.console.domain.charts import Report

OPPORTUNITY_REPORTS = ("funnel", "velocity", "aging")


async def opportunity_report(services: Services, actor: str, name: str, params: dict[str, Any]) -> Report:
    found = await services.call(
        "opportunity", "GET", f"/v1/reports/{name}", actor=actor, params=params, cached=True
    )
    if name == "funnel":
        return charts.funnel(found)
    if name == "velocity":
        return charts.velocity(found)
    defined = await pipelines(services, actor)
    order = [s["name"] for s in defined["pipelines"].get(params["type"], [])]
    return charts.aging(found, order)


async def influence(services: Services, actor: str, params: dict[str, Any]) -> Report:
    found = await services.call(
        "attribution", "GET", "/v1/reports/influence", actor=actor, params=params, cached=True
    )
    return charts.influence(found, params["model"])


async def planner(services: Services, actor: str, params: dict[str, Any]) -> Report:
    found = await services.call(
        "opportunity", "GET", "/v1/reports/reverse-funnel", actor=actor, params=params
    )
    return charts.planner(found)


async def handshakes(
    services: Services, actor: str, window: dict[str, Any], pools: dict[str, Any]
) -> dict[str, Report]:
    """Time to accept, outcomes per stage, SLA breaches per stage (handoffs assigned in `window`'s
    from/to) and routing fairness (`pools`' pool_id/turn), each part its own table and chart."""
    handoffs, fairness, defined = await asyncio.gather(
        services.call("opportunity", "GET", "/v1/reports/handoffs", actor=actor, params=window, cached=True),
        services.call(
            "opportunity", "GET", "/v1/reports/routing-fairness", actor=actor, params=pools, cached=True
        ),
        pipelines(services, actor),
    )
    order = handshake_reports.stage_order(defined["pipelines"])
    return {
        "acceptance": handshake_reports.acceptance(handoffs),
        "outcomes": handshake_reports.outcomes(handoffs, order),
        "breaches": handshake_reports.breaches(handoffs, list(defined["pipelines"]), order),
        "fairness": handshake_reports.fairness(fairness),
    }
