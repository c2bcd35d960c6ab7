"""The handshake reports' counting, in SQL over handoffs and SLA breaches (bound parameters only):
time to accept per team and person, outcomes per stage, assignments per pool member and turn."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

HOURS = "extract(epoch FROM accepted_at - assigned_at) / 3600.0"
ACCEPTANCE = f"""
SELECT kind, team, owner, GROUPING(owner) = 1 AS whole_team,
       count(*) AS handoffs, count(accepted_at) AS accepted,
       count(*) FILTER (WHERE status = 'open') AS waiting,
       count(escalated_at) AS escalated,
       count(*) FILTER (WHERE status = 'reassigned') AS reassigned_away,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY {HOURS}) FILTER (WHERE accepted_at IS NOT NULL)
         AS median_hours_to_accept,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY {HOURS}) FILTER (WHERE accepted_at IS NOT NULL)
         AS p90_hours_to_accept
FROM handoffs
WHERE owner IS NOT NULL AND assigned_at >= :start AND assigned_at < :end
  AND (kind = 'stage' OR stage = 'sales')
GROUP BY GROUPING SETS ((kind, team), (kind, team, owner))
ORDER BY kind, team, whole_team DESC, owner
"""
STAGES = """
SELECT kind, stage, count(*) AS handoffs, count(escalated_at) AS escalated,
       count(*) FILTER (WHERE status = 'reassigned') AS reassigned,
       count(*) FILTER (WHERE owner IS NULL) AS unowned
FROM handoffs WHERE assigned_at >= :start AND assigned_at < :end
GROUP BY kind, stage ORDER BY kind, stage
"""
BREACHES = """
SELECT o.type, b.stage, count(*) AS breaches
FROM sla_breaches b JOIN opportunities o USING (opp_id)
WHERE b.breached_at >= :start AND b.breached_at < :end
GROUP BY o.type, b.stage ORDER BY o.type, b.stage
"""
FAIRNESS = """
SELECT pool_id, turn, owner, count(*) AS assigned
FROM handoffs
WHERE pool_id IS NOT NULL AND owner IS NOT NULL AND rule IN ('round_robin', 'sticky')
  AND (CAST(:pool AS text) IS NULL OR pool_id = :pool)
GROUP BY pool_id, turn, owner ORDER BY pool_id, turn, owner
"""


async def _rows(session: AsyncSession, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in (await session.execute(text(sql), params)).mappings()]


async def acceptance(session: AsyncSession, start: datetime, end: datetime) -> list[dict[str, Any]]:
    return await _rows(session, ACCEPTANCE, {"start": start, "end": end})


async def stage_outcomes(
    session: AsyncSession, start: datetime, end: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    window = {"start": start, "end": end}
    return await _rows(session, STAGES, window), await _rows(session, BREACHES, window)


async def pool_assignments(session: AsyncSession, pool_id: str | None) -> list[dict[str, Any]]:
    return await _rows(session, FAIRNESS, {"pool": pool_id})
