"""The handshake reports as tables with their charts, from the opportunity service's
`/v1/reports/handoffs` and `/v1/reports/routing-fairness`: time to accept per team and person,
outcomes per stage or route, SLA breaches per stage, assignments against weight per pool member."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from services.console.domain.charts import Report, bar, num, tenths
from services.console.domain.text import label, percent

KINDS = {"stage": "Stage handoff", "lead": "MQL route"}
ROUTES = ("sales", "nurture", "recycle")  # a lead handoff's `stage` is its route


def _count(value: Any) -> str:
    return f"{int(value or 0):,}"


def window(report: Mapping[str, Any]) -> str:
    """`2026-11-04 to 2026-12-01`: the service's [from, to) as days, the last one included."""
    start = datetime.fromisoformat(str(report["from"])).date()
    end = datetime.fromisoformat(str(report["to"])).date() - timedelta(days=1)
    return f"{start.isoformat()} to {max(start, end).isoformat()}"


def _who(row: Mapping[str, Any]) -> str:
    kind = "MQL route · " if row["kind"] == "lead" else ""
    return (
        f"{kind}{label(row['team'])} · {row['owner']}"
        if row.get("owner")
        else f"{kind}{label(row['team'])} team"
    )


def acceptance(report: Mapping[str, Any]) -> Report:
    """Each team's totals followed by its people, as the service counts them."""
    ordered: list[Mapping[str, Any]] = []
    for team in report["teams"]:
        ordered.append(team)
        ordered += [p for p in report["people"] if (p["kind"], p["team"]) == (team["kind"], team["team"])]
    keys = ("handoffs", "accepted", "waiting", "escalated", "reassigned_away")
    rows = [
        [
            r["team"],
            r.get("owner"),
            r["kind"],
            *(r[k] for k in keys),
            num(r.get("acceptance_rate")),
            num(r.get("median_hours_to_accept")),
            num(r.get("p90_hours_to_accept")),
        ]
        for r in ordered
    ]
    shown = [
        [
            label(r[0]),
            r[1] or "whole team",
            KINDS.get(r[2], label(r[2])),
            *map(_count, r[3:8]),
            percent(r[8]),
            tenths(r[9]),
            tenths(r[10]),
        ]
        for r in rows
    ]
    chart = bar(
        [_who(r) for r in ordered],
        {"Median hours to accept": [r[9] for r in rows], "p90 hours to accept": [r[10] for r in rows]},
        horizontal=True,
    )
    headers = [
        "Team",
        "Person",
        "Kind",
        "Handoffs",
        "Accepted",
        "Waiting",
        "Escalated",
        "Reassigned away",
        "Acceptance rate",
        "Median hours to accept",
        "p90 hours to accept",
    ]
    return Report(f"Time to accept, handoffs assigned {window(report)}", headers, rows, shown, chart)


def _in_order(rows: Sequence[Mapping[str, Any]], order: Sequence[str]) -> list[Mapping[str, Any]]:
    """Stages in pipeline order, then the routes, then anything else as given."""
    known = [*order, *ROUTES]
    rank = {name: n for n, name in enumerate(dict.fromkeys(known))}
    return sorted(rows, key=lambda r: (r.get("kind") == "lead", rank.get(r["stage"], len(rank))))


def outcomes(report: Mapping[str, Any], order: Sequence[str]) -> Report:
    stages = _in_order(report["stages"], order)
    keys = ("handoffs", "escalated", "reassigned", "unowned")
    rows = [[s["stage"], s["kind"], *(s[k] for k in keys)] for s in stages]
    shown = [[label(r[0]), KINDS.get(r[1], label(r[1])), *(_count(v) for v in r[2:])] for r in rows]
    chart = bar(
        [label(r[0]) for r in rows],
        {
            "Escalated": [r[3] for r in rows],
            "Reassigned": [r[4] for r in rows],
            "Unowned": [r[5] for r in rows],
        },
    )
    headers = ["Stage or route", "Kind", "Handoffs", "Escalated", "Reassigned", "Unowned"]
    return Report(f"Escalations and reassignments per stage, {window(report)}", headers, rows, shown, chart)


def breaches(report: Mapping[str, Any], types: Sequence[str], order: Sequence[str]) -> Report:
    rank = {name: n for n, name in enumerate(dict.fromkeys(order))}
    found = sorted(
        report["breaches"],
        key=lambda b: (
            types.index(b["type"]) if b["type"] in types else len(types),
            rank.get(b["stage"], len(rank)),
        ),
    )
    rows = [[b["stage"], b["type"], b["breaches"]] for b in found]
    shown = [[label(r[0]), label(r[1]), _count(r[2])] for r in rows]
    chart = bar([f"{label(r[1])} · {label(r[0])}" for r in rows], {"SLA breaches": [r[2] for r in rows]})
    headers = ["Stage", "Type", "SLA breaches"]
    return Report(f"SLA breaches per stage, {window(report)}", headers, rows, shown, chart)


def fairness(report: Mapping[str, Any]) -> Report:
    """Each pool member's assignments in the turn against the share their weight gives them (a
    past turn's weights are not kept: its rows have counts only)."""
    members = [(p, m) for p in report["pools"] for m in p["members"]]
    rows = [
        [
            m["rep_id"],
            p["pool_id"],
            p["team"],
            p["turn"],
            m.get("weight"),
            m["assigned"],
            num(m.get("expected")),
            num(m.get("share_of_weight")),
            num(m.get("share_assigned")),
            num(m.get("off_by")),
        ]
        for p, m in members
    ]
    shown = [
        [
            r[0],
            r[1],
            label(r[2]),
            str(r[3]),
            "-" if r[4] is None else str(r[4]),
            _count(r[5]),
            tenths(r[6]),
            percent(r[7]),
            percent(r[8]),
            "-" if r[9] is None else f"{r[9]:+.1f}",
        ]
        for r in rows
    ]
    chart = bar(
        [f"{r[1]} · {r[0]}" for r in rows],
        {"Assigned": [r[5] for r in rows], "Expected from weight": [r[6] for r in rows]},
        horizontal=True,
    )
    headers = [
        "Rep",
        "Pool",
        "Team",
        "Turn",
        "Weight",
        "Assigned",
        "Expected",
        "Share of weight",
        "Share assigned",
        "Off by",
    ]
    return Report("Routing fairness: assignments against weight, per pool turn", headers, rows, shown, chart)


def stage_order(pipelines: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """Every type's stage names, in pipeline order, each once."""
    return list(dict.fromkeys(s["name"] for stages in pipelines.values() for s in stages))
