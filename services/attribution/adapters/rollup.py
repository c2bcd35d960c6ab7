"""The influence report pre-aggregated: per campaign, opp type and month of the opp's creation,
the sums the report by campaign reads. Kept exact by deltas: replacing an opp's attribution rows
subtracts what the old rows added and adds the new ones, in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.attribution.domain.models import MODELS

COUNTS = ("opps_sourced", "opps_influenced", "pipeline_sourced", "pipeline_influenced", "won_influenced")
COLUMNS = (*COUNTS, "revenue_sourced", *(f"{kind}_{m}" for m in MODELS for kind in ("pipeline", "revenue")))
Key = tuple[str, str, date]
UPSERT = text(
    f"INSERT INTO credit_rollup (campaign_id, opp_type, month, {', '.join(COLUMNS)})"
    f" VALUES (:campaign_id, :opp_type, :month, {', '.join(':' + c for c in COLUMNS)})"
    " ON CONFLICT (campaign_id, opp_type, month) DO UPDATE SET "
    + ", ".join(f"{c} = credit_rollup.{c} + excluded.{c}" for c in COLUMNS)
)


def month_of(at: datetime) -> date:
    utc = at.astimezone(UTC)
    return date(utc.year, utc.month, 1)


def sums(row: Mapping[str, Any]) -> list[int]:
    """What one row (an opp's credit for a campaign, or for a group) adds to each column."""
    amount, won = int(row["amount_cents"]), bool(row["is_won"])
    sourced, influenced = bool(row["sourced"]), int(row["touches"]) > 0
    out = [
        int(sourced),
        int(influenced),
        amount if sourced else 0,
        amount if influenced else 0,
        int(won and influenced),
        amount if won and sourced else 0,
    ]
    for model in MODELS:
        cents = int(row[model])
        out += [cents, cents if won else 0]
    return out


def deltas(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> dict[Key, list[int]]:
    """What replacing the `old` rows by the `new` ones changes per rollup key (no-op keys dropped)."""
    out: dict[Key, list[int]] = {}
    for sign, rows in ((-1, old), (1, new)):
        for row in rows:
            key = (row["campaign_id"], row["opp_type"], month_of(row["opp_created_at"]))
            current = out.setdefault(key, [0] * len(COLUMNS))
            for i, value in enumerate(sums(row)):
                current[i] += sign * value
    return {key: values for key, values in out.items() if any(values)}


async def apply(session: AsyncSession, changes: Mapping[Key, Sequence[int]]) -> None:
    """Upsert the deltas in key order (two transactions touching the same keys never deadlock)."""
    rows = [
        {
            "campaign_id": key[0],
            "opp_type": key[1],
            "month": key[2],
            **dict(zip(COLUMNS, values, strict=True)),
        }
        for key, values in sorted(changes.items())
    ]
    if rows:
        await session.execute(UPSERT, rows)


def aggregates(
    *,
    sourced: str = "sourced",
    influenced: str = "touches > 0",
    won: str = "is_won",
    amount: str = "amount_cents",
) -> list[str]:
    """Each column in SQL over rows whose predicates and amount are these expressions."""
    out = [
        f"count(*) FILTER (WHERE {sourced})",
        f"count(*) FILTER (WHERE {influenced})",
        f"coalesce(sum({amount}) FILTER (WHERE {sourced}), 0)",
        f"coalesce(sum({amount}) FILTER (WHERE {influenced}), 0)",
        f"count(*) FILTER (WHERE {won} AND {influenced})",
        f"coalesce(sum({amount}) FILTER (WHERE {won} AND {sourced}), 0)",
    ]
    for model in MODELS:
        out += [f"sum({model})", f"coalesce(sum({model}) FILTER (WHERE {won}), 0)"]
    return out


RECONCILE = text(
    f"INSERT INTO credit_rollup (campaign_id, opp_type, month, {', '.join(COLUMNS)})"
    " SELECT campaign_id, opp_type, CAST(date_trunc('month', opp_created_at AT TIME ZONE 'UTC') AS date),"
    f" {', '.join(aggregates())} FROM credits GROUP BY 1, 2, 3"
)


async def reconcile(session: AsyncSession) -> None:
    """The rollup anew from the stored rows (the end of a rebuild: whatever drifted is gone)."""
    await session.execute(text("LOCK TABLE credit_rollup IN EXCLUSIVE MODE"))
    await session.execute(text("DELETE FROM credit_rollup"))
    await session.execute(RECONCILE)
