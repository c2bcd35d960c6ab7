"""Ingest's unit of work: what its use cases may read and write, as ports the adapters implement."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from services.ingest.app.models import LeadImport, Quarantined
from services.ingest.domain.leads import StoredLead
from shared.uow import UnitOfWork


class Leads(Protocol):
    async def get(self, lead_id: str, *, lock: bool = False) -> StoredLead | None: ...

    async def by_email(self, email: str, *, lock: bool = False) -> StoredLead | None: ...

    async def insert(self, lead_id: str, fields: dict[str, Any]) -> bool:
        """False when a lead with this email exists, or the person was erased and `fields`
        bring no fresh marketing consent (nothing written)."""
        ...

    async def insert_many(self, leads: list[dict[str, Any]]) -> dict[str, str]:
        """Insert the leads whose email is new (and not erased, unless consented) in one
        statement; the email and lead id of each inserted."""
        ...

    async def update(self, lead_id: str, changes: dict[str, Any], *, version: int, at: datetime) -> None: ...

    async def set_status(
        self, lead_id: str, status: str, *, account_id: str | None = None, contact_id: str | None = None
    ) -> None: ...

    async def erase(self, lead_id: str, *, marker: str) -> None:
        """Every personal field gone; the email becomes `marker` (the row keeps its id)."""
        ...


class Engagements(Protocol):
    async def add(self, engagement: dict[str, Any]) -> bool:
        """False when an engagement with this id was recorded before."""
        ...

    async def strip(self, lead_ids: list[str]) -> None:
        """Keep what happened (kind, time, campaign), not where nor what the person sent."""
        ...


class SourceIds(Protocol):
    """The id each source (HubSpot, Mautic...) knows a lead by."""

    async def lead_for(self, source: str, source_id: str) -> str | None: ...

    async def known(self, source: str, source_ids: set[str]) -> set[str]: ...

    async def link(self, source: str, source_id: str, lead_id: str) -> None: ...

    async def forget(self, lead_ids: list[str]) -> None: ...


class Deliveries(Protocol):
    """Webhook deliveries as received, with the answer given (returned again on a redelivery)."""

    async def record(self, *, source: str, delivery_id: str, content_type: str, body: bytes) -> bool:
        """False when this delivery was received before."""
        ...

    async def answered(
        self, source: str, delivery_id: str, response: dict[str, Any], *, keep_body: bool
    ) -> None:
        """The answer given to the delivery (returned again on a redelivery)."""
        ...

    async def answer(self, source: str, delivery_id: str) -> dict[str, Any] | None: ...

    async def redact(self, lead_ids: list[str], at: datetime) -> int:
        """Empty the raw bodies of the deliveries that brought these leads; how many."""
        ...

    async def empty_bodies(self, before: datetime, batch: int, at: datetime) -> int:
        """Empty up to `batch` raw bodies received before `before` (the answers stay)."""
        ...

    async def prune(self, before: datetime, batch: int) -> int:
        """Delete up to `batch` deliveries received before `before`."""
        ...


class Receipts(Protocol):
    """Items by the source's own id for them: a repeat in another delivery is a duplicate."""

    async def claim(self, source: str, item_key: str, delivery_id: str) -> bool: ...

    async def lead_of(self, source: str, item_key: str) -> str | None: ...

    async def prune(self, before: datetime, batch: int) -> int: ...

    async def settle(
        self, source: str, item_key: str, *, outcome: str, lead_id: str | None, reason: str | None
    ) -> None: ...


class QuarantineStore(Protocol):
    async def add(self, item: Quarantined) -> None: ...

    async def forget(self, lead_ids: list[str], email: str) -> None:
        """Drop the person's quarantined items: theirs by lead, or naming their email."""
        ...

    async def get(self, quarantine_id: str, *, lock: bool = False) -> Quarantined | None: ...

    async def prune(self, before: datetime, batch: int) -> int:
        """Delete up to `batch` items resolved (resubmitted, discarded) before `before`."""
        ...

    async def list(self, *, status: str, source: str | None, limit: int) -> list[Quarantined]: ...

    async def resolve(
        self,
        quarantine_id: str,
        *,
        status: str,
        at: datetime,
        by: str,
        resubmitted_payload: dict[str, Any] | None = None,
        lead_id: str | None = None,
    ) -> None: ...


class Erasures(Protocol):
    async def add(self, *, erasure_id: str, email_hash: str, requested_by: str, leads: int) -> None: ...

    async def known(self, email_hash: str) -> bool:
        """Whether this person asked to be erased (then only fresh consent records them again)."""
        ...


class Imports(Protocol):
    async def save(self, report: LeadImport) -> None: ...

    async def get(self, import_id: str) -> LeadImport | None: ...


class IngestUnitOfWork(UnitOfWork):
    leads: Leads
    engagements: Engagements
    source_ids: SourceIds
    deliveries: Deliveries
    receipts: Receipts
    quarantine: QuarantineStore
    erasures: Erasures
    imports: Imports
