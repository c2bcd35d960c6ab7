"""The influence report's counting in SQL over the stored attribution rows (one row per opp and
campaign, carrying the opp's type, creation, amount and outcome, so no join is needed to filter).

By campaign, each row is already one opp and one campaign; by channel, program, type or period,
an opp counts once per group (an opp touched by two webinars is one opp influenced by webinars).
For periods of whole months (and not as of a date) the same numbers come from the pre-aggregates
(`rollup` per campaign, `group_rollup` per group), kept in the transactions that change the rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime, time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.attribution.adapters import rollup
from services.attribution.adapters.opps import CREDIT_COLUMNS, credit_rows
from services.attribution.domain.models import MODELS, ModelName
from services.attribution.domain.touches import Attribution
from shared.db import raw_connection

STAGED = "credits_as_of"
SUMS = (
    "opps_sourced",
    "opps_influenced",
    "pipeline_sourced",
    "pipeline_influenced",
    "pipeline_attributed",
    "won_influenced",
    "revenue_sourced",
    "revenue_attributed",
)
# What each grouping other than by campaign groups on.
KEYS = {
    "channel": "coalesce(c.channel, '')",
    "program": "coalesce(c.program, '')",
    "type": "r.opp_type",
    "month": "to_char(r.opp_created_at AT TIME ZONE 'UTC', 'YYYY-MM')",
    "quarter": "to_char(r.opp_created_at AT TIME ZONE 'UTC', 'YYYY-\"Q\"Q')",
}
FILTER = (
    "(CAST(:type AS text) IS NULL OR r.opp_type = :type)"
    " AND (CAST(:start AS timestamptz) IS NULL OR r.opp_created_at >= :start)"
    " AND (CAST(:end AS timestamptz) IS NULL OR r.opp_created_at < :end)"
    " AND (CAST(:campaign AS text) IS NULL OR r.campaign_id = :campaign)"
)


def _sums(model: str, *, opp: str, sourced: str, influenced: str, won: str, amount: str) -> str:
    return (
        f"count({opp}) FILTER (WHERE {sourced}) AS opps_sourced,"
        f" count({opp}) FILTER (WHERE {influenced}) AS opps_influenced,"
        f" coalesce(sum({amount}) FILTER (WHERE {sourced}), 0) AS pipeline_sourced,"
        f" coalesce(sum({amount}) FILTER (WHERE {influenced}), 0) AS pipeline_influenced,"
        f" coalesce(sum({model}), 0) AS pipeline_attributed,"
        f" count({opp}) FILTER (WHERE {won} AND {influenced}) AS won_influenced,"
        f" coalesce(sum({amount}) FILTER (WHERE {won} AND {sourced}), 0) AS revenue_sourced,"
        f" coalesce(sum({model}) FILTER (WHERE {won}), 0) AS revenue_attributed"
    )


def by_campaign(model: str, table: str) -> str:
    sums = _sums(
        f"r.{model}",
        opp="r.opp_id",
        sourced="r.sourced",
        influenced="r.touches > 0",
        won="r.is_won",
        amount="r.amount_cents",
    )
    return (
        f"WITH r AS (SELECT r.campaign_id, {sums} FROM {table} r WHERE {FILTER} GROUP BY r.campaign_id)"
        " SELECT c.campaign_id AS key, c.campaign_id, c.name, c.channel, c.program, c.cost,"
        f" {', '.join('r.' + name for name in SUMS)}"
        " FROM campaigns c LEFT JOIN r ON r.campaign_id = c.campaign_id"
        " WHERE CAST(:campaign AS text) IS NULL OR c.campaign_id = :campaign"
    )


MONTHS_FILTER = (
    "(CAST(:type AS text) IS NULL OR r.opp_type = :type)"
    " AND (CAST(:start AS date) IS NULL OR r.month >= :start)"
    " AND (CAST(:end AS date) IS NULL OR r.month < :end)"
)
ROLLUP_FILTER = f"{MONTHS_FILTER} AND (CAST(:campaign AS text) IS NULL OR r.campaign_id = :campaign)"
# What each grouping other than by campaign reads of `group_rollup`: its dimension, its key.
GROUPED = {
    "channel": ("channel", "r.key"),
    "program": ("program", "r.key"),
    "type": ("total", "r.opp_type"),
    "month": ("total", "to_char(r.month, 'YYYY-MM')"),
    "quarter": ("total", "to_char(r.month, 'YYYY-\"Q\"Q')"),
}


def _rolled_up_sums(model: str) -> str:
    sources = (
        *((c, c) for c in (*rollup.COUNTS, "revenue_sourced")),
        ("pipeline_attributed", f"pipeline_{model}"),
        ("revenue_attributed", f"revenue_{model}"),
    )
    return ", ".join(f"sum(r.{source}) AS {name}" for name, source in sources)


def by_campaign_rolled_up(model: str) -> str:
    """The same numbers from the rollup, for periods of whole months."""
    sums = _rolled_up_sums(model)
    return (
        f"WITH r AS (SELECT r.campaign_id, {sums} FROM credit_rollup r WHERE {ROLLUP_FILTER}"
        " GROUP BY r.campaign_id)"
        " SELECT c.campaign_id AS key, c.campaign_id, c.name, c.channel, c.program, c.cost,"
        f" {', '.join('r.' + name for name in SUMS)}"
        " FROM campaigns c LEFT JOIN r ON r.campaign_id = c.campaign_id"
        " WHERE CAST(:campaign AS text) IS NULL OR c.campaign_id = :campaign"
    )


def whole_months(*moments: datetime | None) -> bool:
    return all(m is None or (m.day == 1 and m.time() == time.min) for m in moments)


def by_group(model: str, table: str, key: str) -> str:
    sums = _sums(
        "attributed", opp="opp_id", sourced="sourced", influenced="influenced", won="won", amount="amount"
    )
    join = "JOIN campaigns c ON c.campaign_id = r.campaign_id" if key in ("channel", "program") else ""
    return (
        f"WITH per_opp AS (SELECT {KEYS[key]} AS key, r.opp_id, bool_or(r.sourced) AS sourced,"
        " bool_or(r.touches > 0) AS influenced, bool_or(r.is_won) AS won, max(r.amount_cents) AS amount,"
        f" sum(r.{model}) AS attributed FROM {table} r {join} WHERE {FILTER} GROUP BY 1, r.opp_id)"
        f" SELECT key, {sums} FROM per_opp GROUP BY key"
    )


def by_group_rolled_up(model: str, key: str) -> str:
    """The same numbers as `by_group` from the group rollup, for periods of whole months (a
    group whose last opp left it keeps a row of zeros there: not shown, as `by_group` has none)."""
    return (
        f"SELECT {GROUPED[key][1]} AS key, {_rolled_up_sums(model)} FROM group_rollup r"
        f" WHERE r.dimension = :dimension AND {MONTHS_FILTER} GROUP BY 1"
        " HAVING sum(r.opps_sourced) > 0 OR sum(r.opps_influenced) > 0"
    )


class SqlReports:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def influence(
        self,
        *,
        model: ModelName,
        group_by: str,
        opp_type: str | None,
        start: datetime | None,
        end: datetime | None,
        staged: bool = False,
        campaign_id: str | None = None,
    ) -> list[dict[str, Any]]:
        assert model in MODELS, "a model's name is a column: only the known ones"
        table = STAGED if staged else "credits"
        values: dict[str, Any] = {"type": opp_type, "start": start, "end": end, "campaign": campaign_id}
        rolled_up = not staged and whole_months(start, end) and (group_by == "campaign" or not campaign_id)
        if rolled_up:
            values |= {"start": start.date() if start else None, "end": end.date() if end else None}
        if group_by == "campaign":
            query = by_campaign_rolled_up(model) if rolled_up else by_campaign(model, table)
        elif rolled_up:
            query = by_group_rolled_up(model, group_by)
            values["dimension"] = GROUPED[group_by][0]
        else:
            query = by_group(model, table, group_by)
        rows = [dict(row) for row in (await self._session.execute(text(query), values)).mappings()]
        if group_by in ("channel", "program"):
            costs = await self._costs(group_by)
            for row in rows:
                row["cost"] = costs.get(row["key"])
        return rows

    async def _costs(self, column: str) -> dict[str, float | None]:
        query = text(f"SELECT coalesce({column}, ''), sum(cost) FROM campaigns GROUP BY 1")
        return {key: cost for key, cost in (await self._session.execute(query)).all()}

    async def stage(self, attributions: Sequence[Attribution]) -> None:
        await self._session.execute(
            text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGED} (LIKE credits) ON COMMIT DROP")
        )
        rows = credit_rows(attributions)
        if rows:
            connection = await raw_connection(self._session)
            records = [tuple(row[c] for c in CREDIT_COLUMNS) for row in rows]
            await connection.copy_records_to_table(STAGED, records=records, columns=CREDIT_COLUMNS)

    async def campaign_opps(self, campaign_id: str, *, model: ModelName, limit: int) -> list[dict[str, Any]]:
        query = text(
            f"SELECT {', '.join(CREDIT_COLUMNS)} FROM credits WHERE campaign_id = :id"
            " ORDER BY opp_created_at DESC, opp_id LIMIT :limit"
        )
        rows = (await self._session.execute(query, {"id": campaign_id, "limit": limit})).mappings()
        return [dict(row) for row in rows]

    async def credits(
        self, *, opp_type: str | None, start: datetime | None, end: datetime | None, batch: int = 10_000
    ) -> AsyncIterator[list[dict[str, Any]]]:
        columns = ", ".join(f"r.{c}" for c in CREDIT_COLUMNS)
        query = text(
            f"SELECT {columns}, c.name AS campaign_name, c.channel, c.program FROM credits r"
            f" JOIN campaigns c ON c.campaign_id = r.campaign_id WHERE {FILTER}"
            " AND (r.opp_id, r.campaign_id) > (:after_opp, :after_campaign)"
            " ORDER BY r.opp_id, r.campaign_id LIMIT :batch"
        )
        after = ("", "")
        while True:
            values = {"type": opp_type, "start": start, "end": end, "campaign": None, "batch": batch}
            values |= {"after_opp": after[0], "after_campaign": after[1]}
            rows = [dict(row) for row in (await self._session.execute(query, values)).mappings()]
            if not rows:
                return
            yield rows
            after = (rows[-1]["opp_id"], rows[-1]["campaign_id"])
