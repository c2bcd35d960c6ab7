"""The influence report by channel, program, opp type and period pre-aggregated: per dimension
(`channel`, `program`, or `total` for by type and by period), group, opp type and month of the
opp's creation. An opp counts once per group (touched by two webinars, it is one opp influenced
by webinars) and its campaigns' credits in the group add up, as `reports.by_group` counts them.

Kept exact by deltas in the transaction that replaces an opp's rows, as `rollup` is. An opp's
groups are its campaigns' as they are now, so a campaign moving to another channel or program
moves its opps' contributions (`regroup`). That move holds an exclusive lock which every
replacement holds shared (`SqlCredits.lock`) and every campaign save too (a move never waits for
a save that waits for it): no replacement reads a campaign's old groups and writes after a move.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.attribution.adapters.rollup import COLUMNS, aggregates, month_of, sums
from services.attribution.domain.models import MODELS

FIELDS = ("amount_cents", "is_won", "sourced", "touches", *MODELS)  # what an opp's rows merge
ROW = ("opp_id", "campaign_id", "opp_type", "opp_created_at", *FIELDS)
Key = tuple[str, str, str, date]  # dimension, group, opp type, month
Groups = Mapping[str, tuple[str, str]]  # campaign id -> (channel, program), '' for none
# Two keys: a lock apart from the opps' (one key each), whatever their hashes.
GROUPS_LOCK = "hashtext('attribution'), hashtext('campaign groups')"
SHARE = text(f"SELECT pg_advisory_xact_lock_shared({GROUPS_LOCK})")
EXCLUSIVE = text(f"SELECT pg_advisory_xact_lock({GROUPS_LOCK})")
UPSERT = text(
    f"INSERT INTO group_rollup (dimension, key, opp_type, month, {', '.join(COLUMNS)})"
    f" VALUES (:dimension, :key, :opp_type, :month, {', '.join(':' + c for c in COLUMNS)})"
    " ON CONFLICT (dimension, key, opp_type, month) DO UPDATE SET "
    + ", ".join(f"{c} = group_rollup.{c} + excluded.{c}" for c in COLUMNS)
)
GROUPS_OF = text(
    "SELECT campaign_id, coalesce(channel, ''), coalesce(program, '') FROM campaigns"
    " WHERE campaign_id = ANY(:ids)"
)
# Every row of the opps the campaign has a row of, with each row's campaign's groups.
CAMPAIGN_OPPS = text(
    f"SELECT {', '.join('r.' + c for c in ROW)}, coalesce(c.channel, '') AS channel,"
    " coalesce(c.program, '') AS program FROM credits r JOIN campaigns c ON c.campaign_id = r.campaign_id"
    " WHERE r.opp_id IN (SELECT opp_id FROM credits WHERE campaign_id = :id)"
)


def _groups(campaign_id: str, groups: Groups) -> list[tuple[str, str]]:
    found = groups.get(campaign_id)
    return [("total", ""), *((("channel", found[0]), ("program", found[1])) if found else ())]


def contributions(rows: Iterable[Mapping[str, Any]], groups: Groups) -> dict[Key, list[int]]:
    """What these rows add per rollup key: each opp once per group, its rows there merged."""
    merged: dict[tuple[str, Key], dict[str, Any]] = {}
    for row in rows:
        for dimension, group in _groups(row["campaign_id"], groups):
            key = (dimension, group, row["opp_type"], month_of(row["opp_created_at"]))
            found = merged.get((row["opp_id"], key))
            if found is None:
                merged[(row["opp_id"], key)] = {c: row[c] for c in FIELDS}
                continue
            found["amount_cents"] = max(found["amount_cents"], row["amount_cents"])
            found["is_won"] = found["is_won"] or row["is_won"]
            found["sourced"] = found["sourced"] or row["sourced"]
            found["touches"] += row["touches"]
            for model in MODELS:
                found[model] += row[model]
    out: dict[Key, list[int]] = {}
    for (_, key), opp in merged.items():
        total = out.setdefault(key, [0] * len(COLUMNS))
        for i, value in enumerate(sums(opp)):
            total[i] += value
    return out


def deltas(
    old: Iterable[Mapping[str, Any]],
    new: Iterable[Mapping[str, Any]],
    groups: Groups,
    new_groups: Groups | None = None,
) -> dict[Key, list[int]]:
    """What replacing the `old` rows by the `new` ones (and `groups` by `new_groups`) changes."""
    before, after = (
        contributions(old, groups),
        contributions(new, groups if new_groups is None else new_groups),
    )
    zero = [0] * len(COLUMNS)
    out = {
        key: [a - b for a, b in zip(after.get(key, zero), before.get(key, zero), strict=True)]
        for key in before.keys() | after.keys()
    }
    return {key: values for key, values in out.items() if any(values)}


async def apply(session: AsyncSession, changes: Mapping[Key, Sequence[int]]) -> None:
    """Upsert the deltas in key order (two transactions touching the same keys never deadlock)."""
    names = ("dimension", "key", "opp_type", "month")
    rows = [
        {**dict(zip(names, key, strict=True)), **dict(zip(COLUMNS, values, strict=True))}
        for key, values in sorted(changes.items())
    ]
    if rows:
        await session.execute(UPSERT, rows)


async def follow(
    session: AsyncSession, old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> None:
    """Apply what replacing `old` (each with its campaign's `channel` and `program`, `grouped`
    when the campaign is known) by `new` changes; the new rows' other campaigns looked up."""
    groups = {r["campaign_id"]: (r["channel"] or "", r["program"] or "") for r in old if r["grouped"]}
    missing = sorted({r["campaign_id"] for r in new} - {r["campaign_id"] for r in old})
    if missing:
        found = await session.execute(GROUPS_OF, {"ids": missing})
        groups |= {campaign_id: (channel, program) for campaign_id, channel, program in found.all()}
    await apply(session, deltas(old, new, groups))


async def regroup(
    session: AsyncSession, campaign_id: str, *, channel: str | None, program: str | None
) -> None:
    """Move the opps of this campaign to its new channel and program; before the campaign is
    saved, and the lock holds every replacement until the commit."""
    await session.execute(EXCLUSIVE)
    rows = [dict(row) for row in (await session.execute(CAMPAIGN_OPPS, {"id": campaign_id})).mappings()]
    groups = {r["campaign_id"]: (r["channel"], r["program"]) for r in rows}
    moved = {**groups, campaign_id: (channel or "", program or "")}
    await apply(session, deltas(rows, rows, groups, moved))


# An opp's rows per group merged as `contributions` merges them, then summed per key.
PER_OPP = (
    "SELECT r.opp_id, r.opp_type, CAST(date_trunc('month', r.opp_created_at AT TIME ZONE 'UTC') AS date)"
    " AS month, g.dimension, g.key, bool_or(r.sourced) AS sourced, bool_or(r.touches > 0) AS influenced,"
    " bool_or(r.is_won) AS won, max(r.amount_cents) AS amount,"
    f" {', '.join(f'sum(r.{m}) AS {m}' for m in MODELS)}"
    " FROM credits r LEFT JOIN campaigns c ON c.campaign_id = r.campaign_id"
    " CROSS JOIN LATERAL (VALUES ('total', ''), ('channel', coalesce(c.channel, '')),"
    " ('program', coalesce(c.program, ''))) AS g(dimension, key)"
    " WHERE g.dimension = 'total' OR c.campaign_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5"
)
RECONCILE = text(
    f"INSERT INTO group_rollup (dimension, key, opp_type, month, {', '.join(COLUMNS)})"
    " SELECT dimension, key, opp_type, month,"
    f" {', '.join(aggregates(influenced='influenced', won='won', amount='amount'))}"
    f" FROM ({PER_OPP}) AS per_opp GROUP BY 1, 2, 3, 4"
)


async def reconcile(session: AsyncSession) -> None:
    """The rollup anew from the stored rows and the campaigns' groups now."""
    await session.execute(text("LOCK TABLE group_rollup IN EXCLUSIVE MODE"))
    await session.execute(text("DELETE FROM group_rollup"))
    await session.execute(RECONCILE)
