"""Opps on PostgreSQL: the copy with its amount, stage and membership history, and the stored
attribution rows (replaced per opp)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.attribution.adapters import group_rollup, rollup
from services.attribution.app.models import MembershipChange, OppChange
from services.attribution.domain.models import MODELS
from services.attribution.domain.touches import Attribution, Opp
from shared.db import raw_connection

WON, LOST = "closed_won", "closed_lost"
# Above this many rows a replacement COPYs them in (a rebuild's batch).
COPY_FROM = 1000
PUT_OPP = text(
    "INSERT INTO opps (opp_id, account_id, type, created_at)"
    " VALUES (:opp_id, :account_id, :type, :created_at)"
    " ON CONFLICT (opp_id) DO UPDATE SET account_id = excluded.account_id, type = excluded.type,"
    " created_at = least(opps.created_at, excluded.created_at)"  # least() passes over a NULL
)
AS_OF = text(
    "SELECT o.opp_id, o.account_id, o.type, o.created_at, coalesce(a.amount_cents, 0), s.stage, s.at"
    " FROM opps o"
    " LEFT JOIN LATERAL (SELECT amount_cents FROM opp_amounts WHERE opp_id = o.opp_id AND at <= :at"
    "   ORDER BY at DESC, seq DESC LIMIT 1) a ON true"
    " LEFT JOIN LATERAL (SELECT stage, at FROM opp_stages WHERE opp_id = o.opp_id AND at <= :at"
    "   ORDER BY at DESC, seq DESC LIMIT 1) s ON true"
    " WHERE o.opp_id = ANY(:ids) AND o.created_at <= :at ORDER BY o.opp_id"
)
CONFIRMED = text(
    "SELECT opp_id, contact_id FROM memberships WHERE opp_id = ANY(:ids) AND status = 'confirmed'"
    " AND valid_from <= :at AND (valid_to IS NULL OR valid_to > :at)"
)
CREDIT_COLUMNS = (
    "opp_id",
    "campaign_id",
    "opp_type",
    "opp_created_at",
    "is_won",
    "amount_cents",
    "touches",
    "sourced",
    *MODELS,
)
INSERT_CREDIT = text(
    f"INSERT INTO credits ({', '.join(CREDIT_COLUMNS)}) VALUES ({', '.join(':' + c for c in CREDIT_COLUMNS)})"
)
# The campaigns' groups shared first (see `group_rollup`), then each opp: one statement.
LOCK = text(
    f"SELECT count(CASE WHEN n = 0 THEN pg_advisory_xact_lock_shared({group_rollup.GROUPS_LOCK})"
    " ELSE pg_advisory_xact_lock(hashtext('attribution:' || id)) END)"
    " FROM (SELECT id, n FROM unnest(CAST(:ids AS text[])) WITH ORDINALITY AS u(id, n)"
    " UNION ALL SELECT '', 0 ORDER BY n) AS ordered"
)
# The opps' rows out, each with its campaign's groups (`grouped`: the campaign is known).
DELETE_CREDITS = text(
    f"WITH gone AS (DELETE FROM credits WHERE opp_id = ANY(:ids) RETURNING {', '.join(CREDIT_COLUMNS)})"
    f" SELECT {', '.join('gone.' + c for c in CREDIT_COLUMNS)}, c.campaign_id IS NOT NULL AS grouped,"
    " c.channel, c.program FROM gone LEFT JOIN campaigns c ON c.campaign_id = gone.campaign_id"
)
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)  # "now" as a bound: after everything recorded


def _at(at: datetime | None) -> datetime:
    return at if at is not None else FOREVER


class SqlOpps:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def apply(self, change: OppChange) -> None:
        values = change.model_dump()
        await self._session.execute(PUT_OPP, values)
        if change.amount_given:
            await self._session.execute(
                text(
                    "INSERT INTO opp_amounts (opp_id, at, amount_cents) VALUES (:opp_id, :at, :amount_cents)"
                ),
                values,
            )
        if change.stage is not None:
            await self._session.execute(
                text("INSERT INTO opp_stages (opp_id, at, stage) VALUES (:opp_id, :at, :stage)"), values
            )

    async def as_of(self, opp_ids: Sequence[str], at: datetime | None) -> list[Opp]:
        rows = (await self._session.execute(AS_OF, {"ids": list(opp_ids), "at": _at(at)})).all()
        return [
            Opp(
                opp_id=opp_id,
                account_id=account_id,
                type=opp_type,
                created_at=created_at,
                amount_cents=int(amount),
                closed_at=stage_at if stage in (WON, LOST) else None,
                is_won=stage == WON,
            )
            for opp_id, account_id, opp_type, created_at, amount, stage, stage_at in rows
        ]

    async def change_member(self, change: MembershipChange) -> None:
        values = change.model_dump()
        await self._session.execute(
            text(
                "UPDATE memberships SET valid_to = greatest(valid_from, :at)"
                " WHERE opp_id = :opp_id AND contact_id = :contact_id AND valid_to IS NULL"
            ),
            values,
        )
        if change.status is not None:
            await self._session.execute(
                text(
                    "INSERT INTO memberships (opp_id, contact_id, status, role, valid_from)"
                    " VALUES (:opp_id, :contact_id, :status, :role, :at)"
                ),
                values,
            )

    async def confirmed(self, opp_ids: Sequence[str], at: datetime | None) -> dict[str, set[str]]:
        rows = (await self._session.execute(CONFIRMED, {"ids": list(opp_ids), "at": _at(at)})).all()
        out: dict[str, set[str]] = {}
        for opp_id, contact_id in rows:
            out.setdefault(opp_id, set()).add(contact_id)
        return out

    async def of_contacts(self, contact_ids: Sequence[str]) -> list[str]:
        if not contact_ids:
            return []
        query = text(
            "SELECT DISTINCT opp_id FROM memberships WHERE contact_id = ANY(:contacts)"
            " AND valid_to IS NULL AND status = 'confirmed' ORDER BY opp_id"
        )
        return list((await self._session.execute(query, {"contacts": list(contact_ids)})).scalars())

    async def ids(
        self,
        *,
        opp_type: str | None,
        created_before: datetime | None,
        batch: int,
        created_from: datetime | None = None,
    ) -> AsyncIterator[list[str]]:
        query = text(
            "SELECT opp_id FROM opps WHERE opp_id > :after AND created_at <= :before"
            " AND created_at >= :since AND (CAST(:type AS text) IS NULL OR type = :type)"
            " ORDER BY opp_id LIMIT :batch"
        )
        after, since = "", created_from or datetime(1, 1, 1, tzinfo=UTC)
        while True:
            values = {"after": after, "before": _at(created_before), "type": opp_type, "batch": batch}
            values |= {"since": since}
            found = list((await self._session.execute(query, values)).scalars())
            if not found:
                return
            yield found
            after = found[-1]


def credit_rows(attributions: Sequence[Attribution]) -> list[dict[str, Any]]:
    return [
        {
            "opp_id": a.opp.opp_id,
            "campaign_id": credit.campaign_id,
            "opp_type": a.opp.type,
            "opp_created_at": a.opp.created_at,
            "is_won": a.opp.is_won,
            "amount_cents": a.opp.amount_cents,
            "touches": credit.touches,
            "sourced": credit.sourced,
            **{model: cents for model, cents in credit.cents.items()},
        }
        for a in attributions
        for credit in a.credits
    ]


class SqlCredits:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(self, opp_ids: Sequence[str]) -> None:
        """One statement for a batch, taking the locks in the order of the sorted ids (no deadlock
        between two transactions locking some of the same opps), after the campaigns' groups shared."""
        await self._session.execute(LOCK, {"ids": sorted(set(opp_ids))})

    async def reconcile(self) -> None:
        await rollup.reconcile(self._session)
        await group_rollup.reconcile(self._session)

    async def regroup(self, campaign_id: str, *, channel: str | None, program: str | None) -> None:
        await group_rollup.regroup(self._session, campaign_id, channel=channel, program=program)

    async def replace(self, opp_ids: Sequence[str], attributions: Sequence[Attribution]) -> None:
        deleted = await self._session.execute(DELETE_CREDITS, {"ids": list(opp_ids)})
        old = [dict(row) for row in deleted.mappings()]
        rows = credit_rows(attributions)
        if len(rows) >= COPY_FROM:
            connection = await raw_connection(self._session)
            records = [tuple(row[c] for c in CREDIT_COLUMNS) for row in rows]
            await connection.copy_records_to_table("credits", records=records, columns=CREDIT_COLUMNS)
        elif rows:
            await self._session.execute(INSERT_CREDIT, rows)
        # The pre-aggregates last: their rows are shared by many opps, locked from here to the commit.
        await rollup.apply(self._session, rollup.deltas(old, rows))
        await group_rollup.follow(self._session, old, rows)
