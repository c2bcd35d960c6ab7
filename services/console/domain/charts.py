"""Reports as a table (headers, rows: also the CSV) and the chart drawn beside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.console.domain.text import label, money, percent

COLOURS = ("#1d4ed8", "#b45309", "#047857")  # dark enough against white for the bars to read
INFLUENCE_MODELS = ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "full_path", "time_decay")


@dataclass(frozen=True)
class Report:
    title: str
    headers: list[str]
    rows: list[list[Any]]  # plain values: the CSV writes them as they are
    shown: list[list[str]]  # the same rows as the page shows them
    chart: dict[str, Any] = field(default_factory=dict)  # a Chart.js configuration, or empty


def bar(
    labels: list[str], series: Mapping[str, Sequence[float | None]], *, horizontal: bool = False
) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {"label": name, "data": list(values), "backgroundColor": colour}
                for (name, values), colour in zip(series.items(), COLOURS, strict=False)
            ],
        },
        "options": {
            "indexAxis": "y" if horizontal else "x",
            "responsive": True,
            "maintainAspectRatio": False,
        },
    }


def num(value: Any) -> float | None:
    """A figure as a number: PostgreSQL's numerics reach JSON as strings ("4.25")."""
    return None if value is None else float(value)


def tenths(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def funnel(report: Mapping[str, Any]) -> Report:
    stages = report["stages"]
    rows = [[s["stage"], s["team"], s["reached"], s["current"], num(s["conversion_to_next"])] for s in stages]
    shown = [[label(r[0]), label(r[1]), f"{r[2]:,}", f"{r[3]:,}", percent(r[4])] for r in rows]
    chart = bar(
        [label(s["stage"]) for s in stages],
        {"Reached": [s["reached"] for s in stages], "In stage now": [s["current"] for s in stages]},
    )
    title = (
        f"{label(report['type'])} funnel: {report['total']:,} opps, win rate {percent(report['win_rate'])}"
    )
    return Report(
        title, ["Stage", "Team", "Reached", "In stage now", "Conversion to next"], rows, shown, chart
    )


def velocity(report: Mapping[str, Any]) -> Report:
    spans = report["stages"]
    rows = [
        [s["from_stage"], s["to_stage"], s["opps"], num(s["median_days"]), num(s["p90_days"])] for s in spans
    ]
    shown = [[label(r[0]), label(r[1]), f"{r[2]:,}", tenths(r[3]), tenths(r[4])] for r in rows]
    chart = bar(
        [f"{label(r[0])} → {label(r[1])}" for r in rows],
        {"Median days": [r[3] for r in rows], "p90 days": [r[4] for r in rows]},
        horizontal=True,
    )
    return Report(
        f"{label(report['type'])} velocity",
        ["From", "To", "Opps", "Median days", "p90 days"],
        rows,
        shown,
        chart,
    )


def aging(report: Mapping[str, Any], order: Sequence[str]) -> Report:
    found = {s["stage"]: s for s in report["stages"]}
    stages = [found[s] for s in order if s in found] + [v for k, v in found.items() if k not in order]
    rows = [[s["stage"], s["opps"], num(s["median_days"]), num(s["max_days"]), s["breached"]] for s in stages]
    shown = [[label(r[0]), f"{r[1]:,}", tenths(r[2]), tenths(r[3]), f"{r[4]:,}"] for r in rows]
    chart = bar(
        [label(r[0]) for r in rows],
        {"Median days in stage": [r[2] for r in rows], "Max days": [r[3] for r in rows]},
    )
    headers = ["Stage", "Open opps", "Median days in stage", "Max days", "SLA breached"]
    return Report(f"{label(report['type'])} aging", headers, rows, shown, chart)


def influence(report: Mapping[str, Any], model: str) -> Report:
    keys = ["opps_sourced", "opps_influenced", "pipeline_influenced", "revenue_attributed", "cost"]
    rows = [
        [r.get("campaign_id"), r.get("name"), *(num(r.get(k)) for k in keys)] for r in report.get("rows", [])
    ]
    shown = [
        [
            str(r[1] or r[0]),
            f"{int(r[2] or 0):,}",
            f"{int(r[3] or 0):,}",
            money(r[4]),
            money(r[5]),
            money(r[6]),
        ]
        for r in rows
    ]
    chart = bar(
        [str(r[1] or r[0]) for r in rows],
        {"Pipeline influenced": [r[4] or 0 for r in rows], "Revenue attributed": [r[5] or 0 for r in rows]},
        horizontal=True,
    )
    headers = [
        "Campaign",
        "Opps sourced",
        "Opps influenced",
        "Pipeline influenced",
        "Revenue attributed",
        "Cost",
    ]
    return Report(f"Influence by campaign ({label(model)})", headers, rows, shown, chart)


PLAN_LEVELS = ("suspects", "prospects", "mqls", "sqls", "opps")


def planner(plan: Mapping[str, Any]) -> Report:
    rows = [[lvl, plan["needed"][lvl], plan["holds"].get(lvl, 0), plan["gap"][lvl]] for lvl in PLAN_LEVELS]
    shown = [
        [r[0].upper() if r[0] in ("mqls", "sqls") else label(r[0]), *(f"{v:,}" for v in r[1:])] for r in rows
    ]
    chart = bar(
        [s[0] for s in shown],
        {"Needed": [r[1] for r in rows], "In the funnel now": [r[2] for r in rows]},
        horizontal=True,
    )
    return Report(
        "Reverse funnel: what the target needs", ["Level", "Needed", "Holds", "Gap"], rows, shown, chart
    )
