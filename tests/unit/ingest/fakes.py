"""Ingest's unit of work in memory."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from services.ingest.app.models import Quarantined
from services.ingest.app.uow import IngestUnitOfWork
from services.ingest.domain.leads import StoredLead
from tests.support.fakes import FakeUnitOfWork


class FakeErasures:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    async def add(self, *, erasure_id: str, email_hash: str, requested_by: str, leads: int) -> None:
        self.rows.append({"erasure_id": erasure_id, "email_hash": email_hash, "requested_by": requested_by})

    async def known(self, email_hash: str) -> bool:
        return any(row["email_hash"] == email_hash for row in self.rows)


class FakeLeads:
    def __init__(self, erasures: FakeErasures) -> None:
        self.rows: dict[str, StoredLead] = {}
        self.erasures = erasures

    async def get(self, lead_id: str, *, lock: bool = False) -> StoredLead | None:
        return self.rows.get(lead_id)

    async def by_email(self, email: str, *, lock: bool = False) -> StoredLead | None:
        return next((lead for lead in self.rows.values() if lead.email == email), None)

    async def insert(self, lead_id: str, fields: dict[str, Any]) -> bool:
        if await self.by_email(fields["email"]) is not None:
            return False
        erased = await self.erasures.known(hashlib.sha256(fields["email"].encode()).hexdigest())
        if erased and not fields.get("marketing_consent"):
            return False
        now = datetime.now(UTC)
        self.rows[lead_id] = StoredLead(lead_id=lead_id, created_at=now, updated_at=now, **fields)
        return True

    async def update(self, lead_id: str, changes: dict[str, Any], *, version: int, at: datetime) -> None:
        self.rows[lead_id] = self.rows[lead_id].model_copy(
            update={**changes, "version": version, "updated_at": at}
        )

    async def set_status(
        self, lead_id: str, status: str, *, account_id: str | None = None, contact_id: str | None = None
    ) -> None:
        if lead_id in self.rows:
            ids = {"account_id": account_id, "contact_id": contact_id} if account_id or contact_id else {}
            self.rows[lead_id] = self.rows[lead_id].model_copy(update={"status": status, **ids})

    async def erase(self, lead_id: str, *, marker: str) -> None:
        kept = {"lead_id", "source", "version", "created_at", "updated_at", "account_id", "contact_id"}
        row = self.rows[lead_id].model_dump(include=kept)
        self.rows[lead_id] = StoredLead(**row, email=marker, email_domain="", status="erased")


class FakeEngagements:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    async def add(self, engagement: dict[str, Any]) -> bool:
        return self.rows.setdefault(engagement["engagement_id"], engagement) is engagement

    async def strip(self, lead_ids: list[str]) -> None:
        for row in self.rows.values():
            if row["lead_id"] in lead_ids:
                row |= {"url": None, "properties": {}}


class FakeSourceIds:
    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], str] = {}

    async def lead_for(self, source: str, source_id: str) -> str | None:
        return self.ids.get((source, source_id))

    async def known(self, source: str, source_ids: set[str]) -> set[str]:
        return {i for s, i in self.ids if s == source and i in source_ids}

    async def link(self, source: str, source_id: str, lead_id: str) -> None:
        self.ids[(source, source_id)] = lead_id

    async def forget(self, lead_ids: list[str]) -> None:
        self.ids = {key: lead for key, lead in self.ids.items() if lead not in lead_ids}


class FakeDeliveries:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.bodies: dict[tuple[str, str], bytes] = {}

    async def record(self, *, source: str, delivery_id: str, content_type: str, body: bytes) -> bool:
        if (source, delivery_id) in self.bodies:
            return False
        self.bodies[(source, delivery_id)] = body
        return True

    async def answered(
        self, source: str, delivery_id: str, response: dict[str, Any], *, keep_body: bool
    ) -> None:
        self.rows[(source, delivery_id)] = response
        if not keep_body:
            self.bodies[(source, delivery_id)] = b""

    async def redact(self, lead_ids: list[str], at: datetime) -> int:
        named = [
            key
            for key, answer in self.rows.items()
            if any(item.get("lead_id") in lead_ids for item in answer["items"])
        ]
        self.bodies |= dict.fromkeys(named, b"")
        return len(named)

    async def answer(self, source: str, delivery_id: str) -> dict[str, Any] | None:
        return self.rows.get((source, delivery_id))


class FakeReceipts:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}

    async def claim(self, source: str, item_key: str, delivery_id: str) -> bool:
        if (source, item_key) in self.rows:
            return False
        self.rows[(source, item_key)] = {"delivery_id": delivery_id, "outcome": "pending", "lead_id": None}
        return True

    async def lead_of(self, source: str, item_key: str) -> str | None:
        return self.rows.get((source, item_key), {}).get("lead_id")

    async def settle(
        self, source: str, item_key: str, *, outcome: str, lead_id: str | None, reason: str | None
    ) -> None:
        self.rows[(source, item_key)] |= {"outcome": outcome, "lead_id": lead_id, "reason": reason}


class FakeQuarantine:
    def __init__(self) -> None:
        self.rows: dict[str, Quarantined] = {}

    async def add(self, item: Quarantined) -> None:
        self.rows[item.quarantine_id] = item

    async def forget(self, lead_ids: list[str], email: str) -> None:
        self.rows = {
            key: q
            for key, q in self.rows.items()
            if q.lead_id not in lead_ids and email not in str(q.payload)
        }

    async def get(self, quarantine_id: str, *, lock: bool = False) -> Quarantined | None:
        return self.rows.get(quarantine_id)

    async def list(self, *, status: str, source: str | None, limit: int) -> list[Quarantined]:
        found = [q for q in self.rows.values() if q.status == status and source in (None, q.source)]
        return found[:limit]

    async def resolve(
        self,
        quarantine_id: str,
        *,
        status: str,
        at: datetime,
        by: str,
        resubmitted_payload: dict[str, Any] | None = None,
        lead_id: str | None = None,
    ) -> None:
        changes = {
            "status": status,
            "resolved_at": at,
            "resolved_by": by,
            "resubmitted_payload": resubmitted_payload,
            "lead_id": lead_id,
        }
        self.rows[quarantine_id] = self.rows[quarantine_id].model_copy(update=changes)


class FakeIngestUnitOfWork(FakeUnitOfWork, IngestUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.erasures = FakeErasures()
        self.leads = FakeLeads(self.erasures)
        self.engagements = FakeEngagements()
        self.source_ids = FakeSourceIds()
        self.deliveries = FakeDeliveries()
        self.receipts = FakeReceipts()
        self.quarantine = FakeQuarantine()
