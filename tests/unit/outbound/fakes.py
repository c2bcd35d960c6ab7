"""Outbound's unit of work in memory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.outbound.app.models import Alert, Attempt, Delivery, Subscription, SyncLogEntry, SyncOp
from services.outbound.app.uow import OutboundUnitOfWork
from tests.support.fakes import FakeUnitOfWork


class FakeSubscriptions:
    def __init__(self) -> None:
        self.rows: dict[str, Subscription] = {}

    async def add(self, subscription: Subscription) -> None:
        self.rows[subscription.subscription_id] = subscription

    async def get(self, subscription_id: str, *, lock: bool = False) -> Subscription | None:
        return self.rows.get(subscription_id)

    async def all(self) -> list[Subscription]:
        return list(self.rows.values())

    async def save(self, subscription: Subscription) -> None:
        self.rows[subscription.subscription_id] = subscription

    async def delete(self, subscription_id: str) -> None:
        del self.rows[subscription_id]

    async def wanting(self, event_type: str) -> list[Subscription]:
        return [s for s in self.rows.values() if s.status == "active" and event_type in s.events]


class FakeDeliveries:
    def __init__(self) -> None:
        self.rows: list[Delivery] = []
        self.history: list[Attempt] = []

    async def add(self, deliveries: list[Delivery]) -> None:
        seen = {(d.subscription_id, d.event_id) for d in self.rows}
        self.rows += [d for d in deliveries if (d.subscription_id, d.event_id) not in seen]

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        claimed: list[Delivery] = []
        blocked: set[tuple[str, str]] = set()
        for d in self.rows:
            if d.status != "pending" or (d.subscription_id, d.key) in blocked:
                continue
            blocked.add((d.subscription_id, d.key))
            if d.next_attempt_at <= now and len(claimed) < limit:
                claimed.append(d)
        return claimed

    async def get(self, delivery_id: str, *, lock: bool = False) -> Delivery | None:
        return next((d for d in self.rows if d.delivery_id == delivery_id), None)

    async def save(self, delivery: Delivery) -> None:
        self.rows = [delivery if d.delivery_id == delivery.delivery_id else d for d in self.rows]

    async def settle(self, deliveries: list[Delivery], attempts: list[Attempt]) -> None:
        for delivery in deliveries:
            await self.save(delivery)
        self.history += attempts

    async def log(
        self, subscription_id: str, *, status: str | None, limit: int, before: int | None
    ) -> list[tuple[int, Delivery]]:
        found = [(i, d) for i, d in enumerate(self.rows) if d.subscription_id == subscription_id]
        return [(i, d) for i, d in reversed(found) if status in (None, d.status)][:limit]

    async def attempts(self, delivery_ids: list[str]) -> dict[str, list[Attempt]]:
        return {i: [a for a in self.history if a.delivery_id == i] for i in delivery_ids}


class FakeAlerts:
    def __init__(self) -> None:
        self.rows: list[Alert] = []

    async def add(self, alerts: list[Alert]) -> None:
        self.rows += alerts

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Alert]:
        return [a for a in self.rows if a.status == "pending" and a.next_attempt_at <= now][:limit]

    async def save(self, alert: Alert) -> None:
        self.rows = [alert if a.alert_id == alert.alert_id else a for a in self.rows]

    async def recent(self, limit: int, kind: str | None) -> list[Alert]:
        return [a for a in reversed(self.rows) if kind in (None, a.kind)][:limit]


class FakeWatch:
    def __init__(self) -> None:
        self.state: dict[str, dict[str, Any]] = {}

    async def get(self, name: str) -> dict[str, Any]:
        return dict(self.state.get(name, {}))

    async def put(self, name: str, value: dict[str, Any]) -> None:
        self.state[name] = dict(value)


class FakeSync:
    def __init__(self) -> None:
        self.ops: list[SyncOp] = []
        self.external: dict[tuple[str, str], str] = {}
        self.entries: list[SyncLogEntry] = []

    async def add(self, ops: list[SyncOp]) -> None:
        for op in ops:
            self.ops.append(op.model_copy(update={"seq": len(self.ops) + 1}))

    async def claim_due(self, system: str, now: datetime, lease_until: datetime, limit: int) -> list[SyncOp]:
        claimed, seen = [], set()
        for op in self.ops:
            if op.system != system or op.status != "pending" or op.person_id in seen:
                continue
            seen.add(op.person_id)
            if op.next_attempt_at <= now and len(claimed) < limit:
                claimed.append(op)
        return claimed

    async def save(self, op: SyncOp) -> None:
        self.ops = [op if o.seq == op.seq else o for o in self.ops]

    async def ids(self, system: str, person_ids: list[str]) -> dict[str, str]:
        return {p: self.external[(system, p)] for p in person_ids if (system, p) in self.external}

    async def put_ids(self, system: str, ids: dict[str, str]) -> None:
        self.external.update({(system, p): e for p, e in ids.items()})

    async def log(self, entries: list[SyncLogEntry]) -> None:
        self.entries += entries

    async def recent(self, limit: int, system: str | None) -> list[SyncLogEntry]:
        return [e for e in reversed(self.entries) if system in (None, e.system)][:limit]

    async def counts(self) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for op in self.ops:
            found.setdefault(op.system, {}).setdefault(op.status, 0)
            found[op.system][op.status] += 1
        return found


class FakeHousekeeping:
    def __init__(self, uow: FakeOutboundUnitOfWork) -> None:
        self.uow = uow
        self.erased: list[tuple[list[str], str]] = []

    async def prune(self, what: str, before: datetime, batch: int) -> int:
        return 0

    async def erase(self, person_ids: list[str], email_hash: str) -> None:
        self.erased.append((person_ids, email_hash))
        self.uow.sync.ops = [o for o in self.uow.sync.ops if o.person_id not in person_ids]


class FakeOutboundUnitOfWork(FakeUnitOfWork, OutboundUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.subscriptions = FakeSubscriptions()
        self.deliveries = FakeDeliveries()
        self.alerts = FakeAlerts()
        self.watch = FakeWatch()
        self.sync = FakeSync()
        self.housekeeping = FakeHousekeeping(self)
