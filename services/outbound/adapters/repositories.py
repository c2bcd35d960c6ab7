"""Outbound's repositories on PostgreSQL: the ports of `app.uow`, each over one session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, cast, delete, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.outbound.adapters import tables as t
from services.outbound.app.models import Alert, Attempt, Delivery, Subscription

# Due, of an active subscription, and the oldest pending of its key there: in order per key per
# endpoint even with several replicas, since a leased delivery stays pending until settled.
CLAIM_DELIVERIES = text(
    "UPDATE deliveries SET next_attempt_at = :lease_until WHERE seq IN ("
    " SELECT d.seq FROM deliveries d JOIN subscriptions s ON s.subscription_id = d.subscription_id"
    " WHERE d.status = 'pending' AND d.next_attempt_at <= :now AND s.status = 'active'"
    " AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.status = 'pending'"
    "   AND e.subscription_id = d.subscription_id AND e.key = d.key AND e.seq < d.seq)"
    " ORDER BY d.next_attempt_at LIMIT :limit FOR UPDATE OF d SKIP LOCKED)"
    " RETURNING *"
)
CLAIM_ALERTS = text(
    "UPDATE alerts SET next_attempt_at = :lease_until WHERE seq IN ("
    " SELECT seq FROM alerts WHERE status = 'pending' AND next_attempt_at <= :now"
    " ORDER BY seq LIMIT :limit FOR UPDATE SKIP LOCKED) RETURNING *"
)


def _fields(model: type[Any], row: Any) -> dict[str, Any]:
    return {name: row[name] for name in model.model_fields}


class SqlSubscriptions:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, subscription: Subscription) -> None:
        self._session.add(t.Subscription(**subscription.model_dump()))
        await self._session.flush()

    async def get(self, subscription_id: str, *, lock: bool = False) -> Subscription | None:
        query = select(t.Subscription).where(col(t.Subscription.subscription_id) == subscription_id)
        if lock:
            query = query.with_for_update()
        row = (await self._session.execute(query.execution_options(populate_existing=True))).scalar()
        return Subscription.model_validate(row, from_attributes=True) if row else None

    async def all(self) -> list[Subscription]:
        rows = await self._session.execute(select(t.Subscription).order_by(col(t.Subscription.created_at)))
        return [Subscription.model_validate(r, from_attributes=True) for r in rows.scalars()]

    async def save(self, subscription: Subscription) -> None:
        values = subscription.model_dump(exclude={"subscription_id", "created_at", "created_by"})
        await self._session.execute(
            update(t.Subscription)
            .where(col(t.Subscription.subscription_id) == subscription.subscription_id)
            .values(**values)
        )

    async def delete(self, subscription_id: str) -> None:
        ids = select(col(t.Delivery.delivery_id)).where(col(t.Delivery.subscription_id) == subscription_id)
        await self._session.execute(delete(t.Attempt).where(col(t.Attempt.delivery_id).in_(ids)))
        await self._session.execute(
            delete(t.Delivery).where(col(t.Delivery.subscription_id) == subscription_id)
        )
        await self._session.execute(
            delete(t.Subscription).where(col(t.Subscription.subscription_id) == subscription_id)
        )

    async def wanting(self, event_type: str) -> list[Subscription]:
        events = cast(literal([event_type], JSONB), JSONB)
        query = select(t.Subscription).where(
            col(t.Subscription.status) == "active", col(t.Subscription.events).op("@>")(events)
        )
        rows = await self._session.execute(query)
        return [Subscription.model_validate(r, from_attributes=True) for r in rows.scalars()]


class SqlDeliveries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, deliveries: list[Delivery]) -> None:
        if deliveries:
            rows = [d.model_dump() for d in deliveries]
            await self._session.execute(insert(t.Delivery).values(rows).on_conflict_do_nothing())

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        params = {"now": now, "lease_until": lease_until, "limit": limit}
        rows = (await self._session.execute(CLAIM_DELIVERIES, params)).mappings().all()
        found = sorted(rows, key=lambda r: r["seq"])
        # What was claimed, as it was due (the lease is only a claim).
        return [Delivery(**{**_fields(Delivery, r), "next_attempt_at": now}) for r in found]

    async def get(self, delivery_id: str, *, lock: bool = False) -> Delivery | None:
        query = select(t.Delivery).where(col(t.Delivery.delivery_id) == delivery_id)
        if lock:
            query = query.with_for_update()
        row = (await self._session.execute(query.execution_options(populate_existing=True))).scalar()
        return Delivery.model_validate(row, from_attributes=True) if row else None

    async def save(self, delivery: Delivery) -> None:
        values = delivery.model_dump(exclude={"delivery_id", "created_at"})
        await self._session.execute(
            update(t.Delivery).where(col(t.Delivery.delivery_id) == delivery.delivery_id).values(**values)
        )

    async def settle(self, deliveries: list[Delivery], attempts: list[Attempt]) -> None:
        if attempts:
            await self._session.execute(insert(t.Attempt), [a.model_dump() for a in attempts])
        if deliveries:
            changed = (
                "status",
                "attempts",
                "last_status_code",
                "last_error",
                "next_attempt_at",
                "delivered_at",
            )
            statement = (
                update(t.Delivery.__table__)  # type: ignore[attr-defined]
                .where(t.Delivery.__table__.c.delivery_id == bindparam("b_delivery_id"))  # type: ignore[attr-defined]
                .values({name: bindparam(f"b_{name}") for name in changed})
            )
            rows = [
                {
                    "b_delivery_id": d.delivery_id,
                    **{f"b_{k}": v for k, v in d.model_dump(include=set(changed)).items()},
                }
                for d in deliveries
            ]
            await self._session.execute(statement, rows)

    async def log(
        self, subscription_id: str, *, status: str | None, limit: int, before: int | None
    ) -> list[tuple[int, Delivery]]:
        query = select(t.Delivery).where(col(t.Delivery.subscription_id) == subscription_id)
        if status is not None:
            query = query.where(col(t.Delivery.status) == status)
        if before is not None:
            query = query.where(col(t.Delivery.seq) < before)
        rows = await self._session.execute(query.order_by(col(t.Delivery.seq).desc()).limit(limit))
        return [(r.seq or 0, Delivery.model_validate(r, from_attributes=True)) for r in rows.scalars()]

    async def attempts(self, delivery_ids: list[str]) -> dict[str, list[Attempt]]:
        if not delivery_ids:
            return {}
        query = (
            select(t.Attempt).where(col(t.Attempt.delivery_id).in_(delivery_ids)).order_by(col(t.Attempt.id))
        )
        found: dict[str, list[Attempt]] = {}
        for row in (await self._session.execute(query)).scalars():
            found.setdefault(row.delivery_id, []).append(Attempt.model_validate(row, from_attributes=True))
        return found


class SqlAlerts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, alerts: list[Alert]) -> None:
        if alerts:
            await self._session.execute(insert(t.Alert).values([a.model_dump() for a in alerts]))

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Alert]:
        params = {"now": now, "lease_until": lease_until, "limit": limit}
        rows = (await self._session.execute(CLAIM_ALERTS, params)).mappings().all()
        return [Alert(**_fields(Alert, r)) for r in sorted(rows, key=lambda r: r["seq"])]

    async def save(self, alert: Alert) -> None:
        values = alert.model_dump(exclude={"alert_id", "created_at"})
        await self._session.execute(
            update(t.Alert).where(col(t.Alert.alert_id) == alert.alert_id).values(**values)
        )

    async def recent(self, limit: int, kind: str | None) -> list[Alert]:
        query = select(t.Alert)
        if kind is not None:
            query = query.where(col(t.Alert.kind) == kind)
        rows = await self._session.execute(query.order_by(col(t.Alert.seq).desc()).limit(limit))
        return [Alert.model_validate(r, from_attributes=True) for r in rows.scalars()]


class SqlWatch:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, name: str) -> dict[str, Any]:
        await self._session.execute(
            insert(t.WatchState).values(name=name, value={}).on_conflict_do_nothing(index_elements=["name"])
        )
        query = select(col(t.WatchState.value)).where(col(t.WatchState.name) == name).with_for_update()
        value: dict[str, Any] = (await self._session.execute(query)).scalar_one()
        return value

    async def put(self, name: str, value: dict[str, Any]) -> None:
        await self._session.execute(
            update(t.WatchState)
            .where(col(t.WatchState.name) == name)
            .values(value=value, updated_at=func.now())
        )
