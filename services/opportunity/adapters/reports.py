"""Reports computed in SQL from the stage stamps: funnel, velocity, aging, coverage, export.

Stage names reach the SQL as column names only after configuration validated them against
STAMPED_STAGES; every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.opportunity.adapters import handoff_reports
from services.opportunity.app.models import Cohort
from services.opportunity.app.reports import export_columns
from services.opportunity.domain.pipelines import WON, Pipeline, Pipelines


def _where(cohort: Cohort, table: str = "") -> tuple[str, dict[str, Any]]:
    prefix = f"{table}." if table else ""
    clauses = [f"{prefix}type = :type"]
    params: dict[str, Any] = {"type": cohort.type}
    if cohort.start is not None:
        clauses.append(f"{prefix}created_at >= CAST(:start AS date)")
        params["start"] = cohort.start
    if cohort.end is not None:
        clauses.append(f"{prefix}created_at < CAST(:end AS date)")
        params["end"] = cohort.end
    return " AND ".join(clauses), params


# One row per stay in a stage: entered at a move, left at the next one (still in it: NULL).
STAYS = (
    "stays AS (SELECT opp_id, to_stage AS stage, at AS entered_at,"
    " lead(at) OVER (PARTITION BY opp_id ORDER BY id) AS exited_at FROM stage_history)"
)


def _progress(pipeline: Pipeline) -> list[str]:
    """The stages an opp progresses through: the open ones, then closed_won."""
    return [s.name for s in pipeline.open_stages] + [WON]


async def funnel_counts(session: AsyncSession, pipeline: Pipeline, cohort: Cohort) -> dict[str, Any]:
    """Per stage: opps that reached it (entered it or any later stage: skips count) and opps in it now."""
    stages = _progress(pipeline)
    where, params = _where(cohort)
    reached = [
        f"count(*) FILTER (WHERE coalesce({', '.join(f'entered_{s}' for s in stages[i:])}) IS NOT NULL)"
        f" AS reached_{s}"
        for i, s in enumerate(stages)
    ]
    current = [f"count(*) FILTER (WHERE stage = '{s.name}') AS current_{s.name}" for s in pipeline.stages]
    sql = (
        f"SELECT count(*) AS total, count(entered_closed_lost) AS lost, {', '.join(reached + current)}"
        f" FROM opportunities WHERE {where}"
    )
    row = (await session.execute(text(sql), params)).mappings().one()
    return dict(row)


def _spans(pipeline: Pipeline) -> list[tuple[str, str, str, str]]:
    """Per stage left (and created to won): from, to, when entered, when left, as SQL over `o`."""
    stages = _progress(pipeline)
    spans = [
        (
            stage,
            stages[i + 1],
            f"o.entered_{stage}",
            f"least({', '.join(f'o.entered_{s}' for s in stages[i + 1 :])})",
        )
        for i, stage in enumerate(stages[:-1])
    ]
    return [*spans, ("created", WON, "o.created_at", f"o.entered_{WON}")]


async def velocity(session: AsyncSession, pipeline: Pipeline, cohort: Cohort) -> list[dict[str, Any]]:
    """Days from first entering a stage to first entering any later one: count, median, p90.
    One scan: per stage left, the days are an expression over the opp's stamps (NULL when it did
    not leave it; count and percentiles skip NULLs), so no row per span is built and regrouped."""
    where, params = _where(cohort, "o")
    spans = _spans(pipeline)
    days = [
        f"extract(epoch FROM {left} - {entered}) / 86400.0 AS days_{i}"
        for i, (*_, entered, left) in enumerate(spans)
    ]
    picked = [
        f"count(days_{i}) AS opps_{i}, percentile_cont(0.5) WITHIN GROUP (ORDER BY days_{i}) AS median_{i},"
        f" percentile_cont(0.9) WITHIN GROUP (ORDER BY days_{i}) AS p90_{i}"
        for i in range(len(spans))
    ]
    # OFFSET 0 keeps the subquery apart: each span's days computed once per opp, not once per aggregate.
    sql = (
        f"SELECT {', '.join(picked)} FROM (SELECT {', '.join(days)} FROM opportunities o WHERE {where}"
        " OFFSET 0) spans"
    )
    row = (await session.execute(text(sql), params)).mappings().one()
    spent = await _time_in_stages(session, cohort)
    return [
        {
            "from_stage": from_stage,
            "to_stage": to_stage,
            "opps": row[f"opps_{i}"],
            "median_days": row[f"median_{i}"],
            "p90_days": row[f"p90_{i}"],
        }
        | spent.get(from_stage, {})
        for i, (from_stage, to_stage, _, _) in enumerate(spans)
        if row[f"opps_{i}"]
    ]


async def _time_in_stages(session: AsyncSession, cohort: Cohort) -> dict[str, dict[str, Any]]:
    """Per stage, over the opps that left it: the cumulative days they spent in it (re-entries add
    up), median and p90, and how many entered it more than once. From `stage_times`, which each
    recorded move keeps (the stay it ends), instead of a window over every opp's history."""
    where, params = _where(cohort, "s")
    sql = (
        "SELECT s.stage, percentile_cont(0.5) WITHIN GROUP (ORDER BY s.days) AS median_days_in_stage,"
        " percentile_cont(0.9) WITHIN GROUP (ORDER BY s.days) AS p90_days_in_stage,"
        f" count(*) FILTER (WHERE s.exits > 1) AS reentered FROM stage_times s WHERE {where} GROUP BY s.stage"
    )
    rows = (await session.execute(text(sql), params)).mappings()
    return {r["stage"]: {k: v for k, v in r.items() if k != "stage"} for r in rows}


def _sla_values(pipeline: Pipeline) -> tuple[str, dict[str, Any]]:
    rows = [f"(CAST(:st{i} AS text), CAST(:sh{i} AS float8))" for i, _ in enumerate(pipeline.open_stages)]
    params: dict[str, Any] = {}
    for i, stage in enumerate(pipeline.open_stages):
        params |= {f"st{i}": stage.name, f"sh{i}": stage.sla_hours}
    return ", ".join(rows), params


async def aging(
    session: AsyncSession, pipeline: Pipeline, cohort: Cohort, now: datetime, limit: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Open opps' days in their current stage (this stay, and all stays in it), SLA state: per stage,
    and the oldest opps: the earliest entered (an index's order; the most days in stage), whose
    stays alone are read from the history."""
    where, params = _where(cohort, "o")
    slas, sla_params = _sla_values(pipeline)
    base = (
        f"WITH slas (stage, hours) AS (VALUES {slas}),"
        " aged AS (SELECT o.opp_id, o.stage, o.owner, o.next_step, o.next_step_owner, o.next_step_due,"
        " o.stage_entered_at, s.hours AS sla_hours,"
        " extract(epoch FROM CAST(:now AS timestamptz) - o.stage_entered_at) / 86400.0 AS days_in_stage,"
        " CASE WHEN s.hours IS NULL THEN 'none'"
        " WHEN o.stage_entered_at + make_interval(secs => s.hours * 3600) < CAST(:now AS timestamptz)"
        " THEN 'breached' ELSE 'ok' END AS sla_state"
        f" FROM opportunities o JOIN slas s ON s.stage = o.stage WHERE o.closed_at IS NULL AND {where})"
    )
    params = {**params, **sla_params, "now": now, "limit": limit}
    per_stage = (
        "SELECT stage, count(*) AS opps, percentile_cont(0.5) WITHIN GROUP (ORDER BY days_in_stage)"
        " AS median_days, max(days_in_stage) AS max_days,"
        " count(*) FILTER (WHERE sla_state = 'breached') AS breached FROM aged GROUP BY stage"
    )
    oldest = (
        "SELECT a.opp_id, a.stage, a.owner, a.next_step, a.next_step_owner, a.next_step_due,"
        " a.stage_entered_at, a.sla_hours, a.days_in_stage, t.days_in_stage_total, t.entries, a.sla_state"
        " FROM (SELECT * FROM aged ORDER BY stage_entered_at, opp_id LIMIT :limit) a"
        " CROSS JOIN LATERAL (SELECT sum(extract(epoch FROM coalesce(exited_at, CAST(:now AS timestamptz))"
        " - entered_at)) / 86400.0 AS days_in_stage_total, count(*) AS entries"
        " FROM (SELECT h.to_stage, h.at AS entered_at, lead(h.at) OVER (ORDER BY h.id) AS exited_at"
        " FROM stage_history h WHERE h.opp_id = a.opp_id) stays WHERE stays.to_stage = a.stage) t"
        " ORDER BY a.days_in_stage DESC, a.opp_id"
    )
    stages = {
        r["stage"]: dict(r) for r in (await session.execute(text(f"{base} {per_stage}"), params)).mappings()
    }
    rows = [dict(r) for r in (await session.execute(text(f"{base} {oldest}"), params)).mappings()]
    return [stages[s.name] for s in pipeline.open_stages if s.name in stages], rows


async def roles_of_open_opps(session: AsyncSession, cohort: Cohort, limit: int) -> list[dict[str, Any]]:
    """Open opps with the distinct roles their confirmed members cover (coverage is judged by the
    gates), and how many potential members wait to be confirmed."""
    where, params = _where(cohort, "o")
    sql = (
        "SELECT o.opp_id, o.account_id, o.stage, o.owner,"
        " coalesce(array_agg(DISTINCT r.role) FILTER (WHERE r.status = 'confirmed' AND r.role IS NOT NULL),"
        " '{}') AS roles, count(r.contact_id) FILTER (WHERE r.status = 'potential') AS potential"
        " FROM opportunities o LEFT JOIN contact_roles r ON r.opp_id = o.opp_id"
        f" WHERE o.closed_at IS NULL AND {where}"
        " GROUP BY o.opp_id ORDER BY o.created_at, o.opp_id LIMIT :limit"
    )
    return [dict(r) for r in (await session.execute(text(sql), {**params, "limit": limit})).mappings()]


async def export_rows(
    session: AsyncSession, pipelines: Pipelines, cohort: Cohort | None, batch: int = 2000
) -> AsyncIterator[dict[str, Any]]:
    """Every opp (of the cohort) with all its stamp columns and cumulative days per stage, streamed
    from a server-side cursor."""
    where, params = _where(cohort, "o") if cohort else ("true", {})
    columns = export_columns(pipelines)
    days = [c for c in columns if c.startswith("days_in_")]
    spent = ", ".join(
        f"sum(extract(epoch FROM coalesce(exited_at, now()) - entered_at))"
        f" FILTER (WHERE stage = '{c.removeprefix('days_in_')}') / 86400.0 AS {c}"
        for c in days
    )
    picked = ", ".join(c if c.startswith("days_in_") else f"o.{c}" for c in columns)
    sql = (
        f"WITH {STAYS}, spent AS (SELECT opp_id, {spent} FROM stays GROUP BY opp_id)"
        f" SELECT {picked} FROM opportunities o LEFT JOIN spent USING (opp_id) WHERE {where}"
        " ORDER BY o.created_at, o.opp_id"
    )
    result = await session.stream(text(sql).execution_options(yield_per=batch), params)
    async for row in result.mappings():
        yield dict(row)


class SqlReports:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def funnel_counts(self, pipeline: Pipeline, cohort: Cohort) -> dict[str, Any]:
        return await funnel_counts(self._session, pipeline, cohort)

    async def velocity(self, pipeline: Pipeline, cohort: Cohort) -> list[dict[str, Any]]:
        return await velocity(self._session, pipeline, cohort)

    async def aging(
        self, pipeline: Pipeline, cohort: Cohort, now: datetime, limit: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return await aging(self._session, pipeline, cohort, now, limit)

    async def roles_of_open_opps(self, cohort: Cohort, limit: int) -> list[dict[str, Any]]:
        return await roles_of_open_opps(self._session, cohort, limit)

    def export_rows(self, pipelines: Pipelines, cohort: Cohort | None) -> AsyncIterator[dict[str, Any]]:
        return export_rows(self._session, pipelines, cohort)

    async def acceptance(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        return await handoff_reports.acceptance(self._session, start, end)

    async def stage_outcomes(
        self, start: datetime, end: datetime
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return await handoff_reports.stage_outcomes(self._session, start, end)

    async def pool_assignments(self, pool_id: str | None) -> list[dict[str, Any]]:
        return await handoff_reports.pool_assignments(self._session, pool_id)
