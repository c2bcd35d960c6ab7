"""The handshake reports a RevOps lead checks weekly (LeanData's routing insights): time to accept
per team and person, breaches and reassignments per stage, and routing fairness: each pool
member's assignments in a turn against the share their weight gives them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.opportunity.app.uow import OpportunityUnitOfWork
from services.opportunity.domain.pipelines import TEAMS
from shared.errors import Invalid
from shared.events.teams import PoolFields

DEFAULT_DAYS = 28


def window(start: date | None, end: date | None, today: date) -> tuple[datetime, datetime]:
    """[start, end) as instants; by default the four weeks up to today included."""
    end = end or today + timedelta(days=1)
    start = start or end - timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise Invalid("'to' must be after 'from'.", field="to", errors=[])
    return datetime.combine(start, time(), UTC), datetime.combine(end, time(), UTC)


async def acceptance(uow: OpportunityUnitOfWork, start: datetime, end: datetime) -> dict[str, Any]:
    rows = await uow.reports.acceptance(start, end)
    for row in rows:
        row["acceptance_rate"] = round(row["accepted"] / row["handoffs"], 4) if row["handoffs"] else None
    teams = [
        {k: v for k, v in r.items() if k not in ("owner", "whole_team")} for r in rows if r["whole_team"]
    ]
    people = [{k: v for k, v in r.items() if k != "whole_team"} for r in rows if not r["whole_team"]]
    outcomes, breaches = await uow.reports.stage_outcomes(start, end)
    return {
        "from": start,
        "to": end,
        "teams": teams,
        "people": people,
        "stages": outcomes,
        "breaches": breaches,
    }


async def fairness(uow: OpportunityUnitOfWork, pool_id: str | None, turn: int | None) -> dict[str, Any]:
    """Per pool and turn (the current one unless `turn` names another): each member's assignments,
    the share their weight gives, and how far they are from it (a past turn's weights are not
    kept: its counts come without shares)."""
    pools = {p.pool_id: p for team in TEAMS for p in await uow.teams.pools(team)}
    if pool_id is not None and pool_id not in pools:
        raise Invalid(f"No pool {pool_id}.", field="pool_id", errors=[])
    counted: dict[tuple[str, int], dict[str, int]] = {}
    for row in await uow.reports.pool_assignments(pool_id):
        counted.setdefault((row["pool_id"], row["turn"]), {})[row["owner"]] = row["assigned"]
    out = []
    for pool in pools.values():
        if pool_id in (None, pool.pool_id):
            wanted = turn or pool.turn
            out.append(_turn(pool, wanted, counted.get((pool.pool_id, wanted), {})))
    return {"pools": out}


def _turn(pool: PoolFields, turn: int, assigned: dict[str, int]) -> dict[str, Any]:
    weights = {m.rep_id: m.weight for m in pool.members} if turn == pool.turn else {}
    total, weight_sum = sum(assigned.values()), sum(weights.values())
    members = []
    for rep_id in dict.fromkeys([*weights, *assigned]):
        share = weights.get(rep_id, 0) / weight_sum if weight_sum and turn == pool.turn else None
        expected = total * share if share is not None else None
        members.append(
            {
                "rep_id": rep_id,
                "weight": weights.get(rep_id),
                "assigned": assigned.get(rep_id, 0),
                "share_of_weight": round(share, 4) if share is not None else None,
                "share_assigned": round(assigned.get(rep_id, 0) / total, 4) if total else None,
                "expected": round(expected, 2) if expected is not None else None,
                "off_by": round(assigned.get(rep_id, 0) - expected, 2) if expected is not None else None,
            }
        )
    return {"pool_id": pool.pool_id, "team": pool.team, "turn": turn, "assigned": total, "members": members}
