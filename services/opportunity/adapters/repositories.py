"""The opportunity service's repositories on PostgreSQL: the ports of `app.uow`, over one session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.opportunity.adapters import tables as t
from services.opportunity.app.models import (
    Breach,
    FieldChange,
    Member,
    OppFilter,
    Opportunity,
    RoleChange,
    StageMove,
)
from services.opportunity.app.uow import Sla
from services.opportunity.domain.pipelines import STAMPED_STAGES

OPP_COLUMNS = set(t.Opportunity.model_fields)


def _opp(row: t.Opportunity) -> Opportunity:
    return Opportunity.model_validate(row.model_dump() | {"stamps": row.entered_stages()})


def _opp_row(opp: Opportunity) -> dict[str, Any]:
    row = {k: v for k, v in opp.model_dump(exclude={"stamps"}).items() if k in OPP_COLUMNS}
    return row | {f"entered_{stage}": opp.stamps.get(stage) for stage in STAMPED_STAGES}


def _member(row: t.ContactRole) -> Member:
    return Member.model_validate(row, from_attributes=True)


class SqlOpps:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, opp_id: str, *, lock: bool = False) -> Opportunity | None:
        row = await self._session.get(
            t.Opportunity, opp_id, with_for_update=lock or None, populate_existing=True
        )
        return _opp(row) if row else None

    async def add(self, opp: Opportunity) -> bool:
        added = await self._session.scalar(
            insert(t.Opportunity)
            .values(**_opp_row(opp))
            .on_conflict_do_nothing()
            .returning(col(t.Opportunity.opp_id))
        )
        return added is not None

    async def save(self, opp: Opportunity) -> None:
        await self._session.execute(
            update(t.Opportunity)
            .where(col(t.Opportunity.opp_id) == opp.opp_id)
            .values(**_opp_row(opp))
            .execution_options(synchronize_session=False)
        )

    async def find(self, where: OppFilter) -> list[Opportunity]:
        query = select(t.Opportunity).order_by(col(t.Opportunity.created_at), col(t.Opportunity.opp_id))
        for column, value in (
            (t.Opportunity.account_id, where.account_id),
            (t.Opportunity.type, where.type),
            (t.Opportunity.stage, where.stage),
            (t.Opportunity.owner, where.owner),
        ):
            if value is not None:
                query = query.where(col(column) == value)
        if where.is_open is not None:
            closed_at = col(t.Opportunity.closed_at)
            query = query.where(closed_at.is_(None) if where.is_open else closed_at.isnot(None))
        rows = await self._session.scalars(query.limit(where.limit).offset(where.offset))
        return [_opp(row) for row in rows]

    async def open_of_type(self, account_id: str, opp_type: str, *, lock: bool = False) -> Opportunity | None:
        query = (
            select(t.Opportunity)
            .where(
                col(t.Opportunity.account_id) == account_id,
                col(t.Opportunity.type) == opp_type,
                col(t.Opportunity.closed_at).is_(None),
            )
            .order_by(col(t.Opportunity.created_at))
            .limit(1)
            .execution_options(populate_existing=True)
        )
        row = await self._session.scalar(query.with_for_update() if lock else query)
        return _opp(row) if row else None

    async def open_acquisition(self, account_id: str, key: str | None) -> Opportunity | None:
        row = await self._session.scalar(
            select(t.Opportunity)
            .where(
                col(t.Opportunity.account_id) == account_id,
                col(t.Opportunity.type) == "acquisition",
                col(t.Opportunity.closed_at).is_(None),
                func.coalesce(col(t.Opportunity.buying_group_key), "") == (key or ""),
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return _opp(row) if row else None

    async def open_of_account(self, account_id: str) -> list[Opportunity]:
        rows = await self._session.scalars(
            select(t.Opportunity)
            .where(col(t.Opportunity.account_id) == account_id, col(t.Opportunity.closed_at).is_(None))
            .order_by(col(t.Opportunity.created_at), col(t.Opportunity.opp_id))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return [_opp(row) for row in rows]

    async def won_acquisition(self, account_id: str) -> bool:
        won = await self._session.scalar(
            select(col(t.Opportunity.opp_id))
            .where(
                col(t.Opportunity.account_id) == account_id,
                col(t.Opportunity.type) == "acquisition",
                col(t.Opportunity.stage) == "closed_won",
            )
            .limit(1)
        )
        return won is not None

    async def record_field_changes(self, changes: Sequence[FieldChange]) -> None:
        rows = [change.model_dump(mode="json") | {"at": change.at} for change in changes]
        await self._session.execute(insert(t.FieldChange).values(rows))

    async def field_changes(self, opp_id: str) -> list[FieldChange]:
        rows = await self._session.scalars(
            select(t.FieldChange).where(col(t.FieldChange.opp_id) == opp_id).order_by(col(t.FieldChange.id))
        )
        return [FieldChange.model_validate(row, from_attributes=True) for row in rows]

    async def open_with_member(self, contact_id: str) -> list[Opportunity]:
        rows = await self._session.scalars(
            select(t.Opportunity)
            .join(t.ContactRole, col(t.ContactRole.opp_id) == col(t.Opportunity.opp_id))
            .where(col(t.ContactRole.contact_id) == contact_id, col(t.Opportunity.closed_at).is_(None))
            .order_by(col(t.Opportunity.opp_id))
            .with_for_update(of=t.Opportunity)
            .execution_options(populate_existing=True)
        )
        return [_opp(row) for row in rows]

    async def record_move(self, move: StageMove) -> None:
        await self._session.execute(text(MOVE), move.model_dump())

    async def moves(self, opp_ids: Sequence[str]) -> list[StageMove]:
        rows = await self._session.scalars(
            select(t.StageMove).where(col(t.StageMove.opp_id).in_(opp_ids)).order_by(col(t.StageMove.id))
        )
        return [StageMove.model_validate(row, from_attributes=True) for row in rows]

    async def breaches(self, opp_ids: Sequence[str]) -> list[Breach]:
        rows = await self._session.scalars(select(t.SlaBreach).where(col(t.SlaBreach.opp_id).in_(opp_ids)))
        return [Breach.model_validate(row, from_attributes=True) for row in rows]

    async def record_breaches(self, slas: Sequence[Sla], now: datetime, batch: int) -> list[Breach]:
        values, params = _sla_values(slas)
        found = await self._session.execute(
            text(BREACHES.format(slas=values)), {**params, "now": now, "batch": batch}
        )
        return [Breach.model_validate(dict(row) | {"breached_at": now}) for row in found.mappings()]

    async def escalate_breaches(
        self, slas: Sequence[Sla], factor: float, now: datetime, batch: int
    ) -> list[Breach]:
        values, params = _sla_values(slas)
        found = await self._session.execute(
            text(ESCALATIONS.format(slas=values)), {**params, "factor": factor, "now": now, "batch": batch}
        )
        return [Breach.model_validate(dict(row)) for row in found.mappings()]


def _sla_values(slas: Sequence[Sla]) -> tuple[str, dict[str, Any]]:
    """The SLAs as a VALUES list (type, stage, hours) and its parameters."""
    rows: list[str] = []
    params: dict[str, Any] = {}
    for i, (opp_type, stage, hours) in enumerate(slas):
        rows.append(f"(CAST(:t{i} AS text), CAST(:s{i} AS text), CAST(:h{i} AS float8))")
        params |= {f"t{i}": opp_type, f"s{i}": stage, f"h{i}": hours}
    return ", ".join(rows), params


# The move, and the stay it ends (the opp's last move so far) added to that stage's ended time:
# the sums a pass over the history would give (a stay ends at the opp's next move). One snapshot:
# the history read is the one before this move.
MOVE = """
WITH ended AS (
    INSERT INTO stage_times AS kept (opp_id, stage, type, created_at, exits, seconds)
    SELECT h.opp_id, h.to_stage, o.type, o.created_at, 1, extract(epoch FROM CAST(:at AS timestamptz) - h.at)
    FROM stage_history h JOIN opportunities o ON o.opp_id = h.opp_id
    WHERE h.opp_id = :opp_id ORDER BY h.id DESC LIMIT 1
    ON CONFLICT (opp_id, stage)
    DO UPDATE SET exits = kept.exits + 1, seconds = kept.seconds + excluded.seconds
)
INSERT INTO stage_history (opp_id, from_stage, to_stage, at, actor)
VALUES (:opp_id, :from_stage, :to_stage, :at, :actor)
"""

BREACHES = """
WITH slas (type, stage, hours) AS (VALUES {slas}),
due AS (
    SELECT o.opp_id, o.stage, o.stage_entered_at, s.hours, o.account_id, o.type, o.owner, o.stage_owner
    FROM opportunities o JOIN slas s ON s.type = o.type AND s.stage = o.stage
    WHERE o.closed_at IS NULL
      AND o.stage_entered_at + make_interval(secs => s.hours * 3600) < CAST(:now AS timestamptz)
      AND NOT EXISTS (
          SELECT 1 FROM sla_breaches b
          WHERE b.opp_id = o.opp_id AND b.stage = o.stage AND b.stage_entered_at = o.stage_entered_at)
    ORDER BY o.stage_entered_at
    LIMIT :batch
    FOR UPDATE OF o SKIP LOCKED
),
recorded AS (
    INSERT INTO sla_breaches (opp_id, stage, stage_entered_at, sla_hours, overdue_by_seconds, breached_at)
    SELECT opp_id, stage, stage_entered_at, hours,
           extract(epoch FROM CAST(:now AS timestamptz) - stage_entered_at) - hours * 3600,
           CAST(:now AS timestamptz)
    FROM due
    ON CONFLICT ON CONSTRAINT one_breach_per_stay DO NOTHING
    RETURNING opp_id, stage, stage_entered_at, sla_hours, overdue_by_seconds
)
SELECT r.*, d.account_id, d.type, d.owner, d.stage_owner FROM recorded r JOIN due d USING (opp_id)
"""

# Driven from the open opps like BREACHES, so that breaches of stays long over are never read.
ESCALATIONS = """
WITH slas (type, stage, hours) AS (VALUES {slas}),
due AS (
    SELECT b.id, o.opp_id, o.stage, o.stage_entered_at, b.sla_hours, b.breached_at,
           o.account_id, o.type, o.owner, o.stage_owner
    FROM opportunities o
    JOIN slas s ON s.type = o.type AND s.stage = o.stage
    JOIN sla_breaches b
      ON b.opp_id = o.opp_id AND b.stage = o.stage AND b.stage_entered_at = o.stage_entered_at
    WHERE o.closed_at IS NULL AND b.escalated_at IS NULL
      AND o.stage_entered_at + make_interval(secs => s.hours * 3600 * (1 + CAST(:factor AS float8)))
          < CAST(:now AS timestamptz)
    ORDER BY o.stage_entered_at
    LIMIT :batch
    FOR UPDATE OF o, b SKIP LOCKED
),
escalated AS (
    UPDATE sla_breaches b SET escalated_at = CAST(:now AS timestamptz)
    FROM due WHERE b.id = due.id
    RETURNING b.id
)
SELECT d.opp_id, d.stage, d.stage_entered_at, d.sla_hours, d.breached_at, d.account_id, d.type,
       d.owner, d.stage_owner,
       extract(epoch FROM CAST(:now AS timestamptz) - d.stage_entered_at) - d.sla_hours * 3600
           AS overdue_by_seconds
FROM due d JOIN escalated e USING (id)
"""


class SqlBuyingGroups:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def member(self, opp_id: str, contact_id: str, *, lock: bool = False) -> Member | None:
        row = await self._session.get(
            t.ContactRole, (opp_id, contact_id), with_for_update=lock or None, populate_existing=True
        )
        return _member(row) if row else None

    async def members(self, opp_ids: Sequence[str]) -> list[Member]:
        rows = await self._session.scalars(
            select(t.ContactRole)
            .where(col(t.ContactRole.opp_id).in_(opp_ids))
            .order_by(col(t.ContactRole.added_at))
            .execution_options(populate_existing=True)
        )
        return [_member(row) for row in rows]

    async def add(self, member: Member) -> None:
        await self._session.execute(insert(t.ContactRole).values(**member.model_dump()))

    async def save(self, member: Member) -> None:
        await self._session.execute(
            update(t.ContactRole)
            .where(
                col(t.ContactRole.opp_id) == member.opp_id, col(t.ContactRole.contact_id) == member.contact_id
            )
            .values(**member.model_dump(exclude={"opp_id", "contact_id", "added_at"}))
            .execution_options(synchronize_session=False)
        )

    async def remove(self, opp_id: str, contact_id: str) -> None:
        await self._session.execute(
            delete(t.ContactRole).where(
                col(t.ContactRole.opp_id) == opp_id, col(t.ContactRole.contact_id) == contact_id
            )
        )

    async def demote_primary(self, opp_id: str) -> list[Member]:
        demoted = await self._session.execute(
            update(t.ContactRole)
            .where(col(t.ContactRole.opp_id) == opp_id, col(t.ContactRole.is_primary))
            .values(is_primary=False)
            .returning(*t.ContactRole.__table__.c)  # type: ignore[attr-defined]
            .execution_options(synchronize_session=False)
        )
        return [Member.model_validate(dict(row)) for row in demoted.mappings()]

    async def record(self, change: RoleChange) -> None:
        await self._session.execute(insert(t.ContactRoleChange).values(**change.model_dump()))

    async def changes(self, opp_id: str) -> list[RoleChange]:
        rows = await self._session.scalars(
            select(t.ContactRoleChange)
            .where(col(t.ContactRoleChange.opp_id) == opp_id)
            .order_by(col(t.ContactRoleChange.id))
        )
        return [RoleChange.model_validate(row, from_attributes=True) for row in rows]

    async def of_contact(self, contact_id: str) -> list[tuple[Opportunity, Member]]:
        rows = await self._session.execute(
            select(t.Opportunity, t.ContactRole)
            .join(t.ContactRole, col(t.ContactRole.opp_id) == col(t.Opportunity.opp_id))
            .where(col(t.ContactRole.contact_id) == contact_id)
            .order_by(col(t.Opportunity.created_at))
        )
        return [(_opp(opp), _member(member)) for opp, member in rows]

    async def best_score(self, opp_id: str) -> float | None:
        best: float | None = await self._session.scalar(
            select(func.max(t.ContactScore.score))
            .join(t.ContactRole, col(t.ContactRole.contact_id) == col(t.ContactScore.contact_id))
            .where(col(t.ContactRole.opp_id) == opp_id)
        )
        return best
