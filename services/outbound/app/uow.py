"""Outbound's unit of work: subscriptions with their delivery queue, alerts, watch state, as
ports the adapters implement."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from services.outbound.app.models import Alert, Attempt, Delivery, Subscription, SyncLogEntry, SyncOp
from shared.uow import UnitOfWork


class Subscriptions(Protocol):
    async def add(self, subscription: Subscription) -> None: ...

    async def get(self, subscription_id: str, *, lock: bool = False) -> Subscription | None: ...

    async def all(self) -> list[Subscription]: ...

    async def save(self, subscription: Subscription) -> None: ...

    async def delete(self, subscription_id: str) -> None:
        """The subscription, its deliveries and their attempts."""
        ...

    async def wanting(self, event_type: str) -> list[Subscription]:
        """The active subscriptions to this event type."""
        ...


class Deliveries(Protocol):
    async def add(self, deliveries: list[Delivery]) -> None:
        """Queue them; one already queued for the same subscription and event is kept as it is."""
        ...

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries due by `now` of active subscriptions, each the oldest pending of its
        key at its subscription (in order per key per endpoint), leased until `lease_until` (SKIP
        LOCKED: replicas share them; a process that dies leaves them to the next claim)."""
        ...

    async def get(self, delivery_id: str, *, lock: bool = False) -> Delivery | None: ...

    async def save(self, delivery: Delivery) -> None: ...

    async def settle(self, deliveries: list[Delivery], attempts: list[Attempt]) -> None:
        """Record the attempts and the deliveries' new state, in one round trip each."""
        ...

    async def log(
        self, subscription_id: str, *, status: str | None, limit: int, before: int | None
    ) -> list[tuple[int, Delivery]]:
        """The newest deliveries first, with their position for paging."""
        ...

    async def attempts(self, delivery_ids: list[str]) -> dict[str, list[Attempt]]: ...


class Alerts(Protocol):
    async def add(self, alerts: list[Alert]) -> None: ...

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Alert]: ...

    async def save(self, alert: Alert) -> None: ...

    async def recent(self, limit: int, kind: str | None) -> list[Alert]: ...


class Watch(Protocol):
    """Small named state of the watchers (offsets read, each watched service's health), locked."""

    async def get(self, name: str) -> dict[str, Any]: ...

    async def put(self, name: str, value: dict[str, Any]) -> None: ...


class Sync(Protocol):
    async def add(self, ops: list[SyncOp]) -> None: ...

    async def claim_due(self, system: str, now: datetime, lease_until: datetime, limit: int) -> list[SyncOp]:
        """Pending operations of the MAP due by `now`, each the oldest pending of its person (in
        order per person), leased until `lease_until` (SKIP LOCKED)."""
        ...

    async def save(self, op: SyncOp) -> None: ...

    async def ids(self, system: str, person_ids: list[str]) -> dict[str, str]: ...

    async def put_ids(self, system: str, ids: dict[str, str]) -> None: ...

    async def log(self, entries: list[SyncLogEntry]) -> None: ...

    async def recent(self, limit: int, system: str | None) -> list[SyncLogEntry]: ...

    async def counts(self) -> dict[str, dict[str, int]]:
        """Operations per MAP and status."""
        ...


class Housekeeping(Protocol):
    async def prune(self, what: str, before: datetime, batch: int) -> int:
        """Delete up to `batch` settled rows of `what` (deliveries with their attempts, alerts,
        sync_ops, sync_log) older than `before`; how many."""
        ...

    async def erase(self, person_ids: list[str], email_hash: str) -> None: ...


class OutboundUnitOfWork(UnitOfWork):
    subscriptions: Subscriptions
    deliveries: Deliveries
    alerts: Alerts
    watch: Watch
    sync: Sync
    housekeeping: Housekeeping
