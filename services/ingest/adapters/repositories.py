"""Ingest's repositories on PostgreSQL: the ports of `app.uow`, each over one session."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Text, TextClause, bindparam, cast, delete, false, or_, select, text, tuple_, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.ingest.adapters.tables import (
    Engagement,
    Erasure,
    Lead,
    LeadImportRow,
    LeadSourceId,
    QuarantinedItem,
    WebhookDelivery,
    WebhookReceipt,
)
from services.ingest.app.models import LeadImport, Quarantined
from services.ingest.domain.leads import StoredLead
from shared.db import delete_batch, insert_or_skip

LEADS = Lead.__table__  # type: ignore[attr-defined]  # SQLModel tables are Table-backed
DELIVERIES = WebhookDelivery.__table__  # type: ignore[attr-defined]


class SqlLeads:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, lead_id: str, *, lock: bool = False) -> StoredLead | None:
        row = await self._session.get(Lead, lead_id, with_for_update=lock or None, populate_existing=True)
        return StoredLead.model_validate(row, from_attributes=True) if row else None

    async def by_email(self, email: str, *, lock: bool = False) -> StoredLead | None:
        query = select(Lead).where(col(Lead.email) == email)
        row = (await self._session.scalars(query.with_for_update() if lock else query)).first()
        return StoredLead.model_validate(row, from_attributes=True) if row else None

    async def insert(self, lead_id: str, fields: dict[str, Any]) -> bool:
        row = {"lead_id": lead_id, **fields}
        statement = _insert_unless_erased(tuple(row), consented=bool(fields.get("marketing_consent")))
        return await self._session.scalar(statement, row) is not None

    async def insert_many(self, leads: list[dict[str, Any]]) -> dict[str, str]:
        if not leads:
            return {}
        rows = await self._session.execute(_insert_many_unless_erased(tuple(leads[0])), {"rows": leads})
        return {email: lead_id for lead_id, email in rows}

    async def update(self, lead_id: str, changes: dict[str, Any], *, version: int, at: datetime) -> None:
        await self._session.execute(
            update(Lead)
            .where(col(Lead.lead_id) == lead_id)
            .values(**changes, version=version, updated_at=at)
            .execution_options(synchronize_session=False)
        )

    async def set_status(
        self, lead_id: str, status: str, *, account_id: str | None = None, contact_id: str | None = None
    ) -> None:
        values: dict[str, Any] = {"status": status}
        if account_id is not None or contact_id is not None:
            values |= {"account_id": account_id, "contact_id": contact_id}
        await self._session.execute(update(Lead).where(col(Lead.lead_id) == lead_id).values(**values))

    async def erase(self, lead_id: str, *, marker: str) -> None:
        values: dict[str, Any] = dict.fromkeys(PERSONAL) | {
            "email": marker,
            "email_domain": "",
            "status": "erased",
        }
        await self._session.execute(update(Lead).where(col(Lead.lead_id) == lead_id).values(**values))


PERSONAL = (
    "first_name", "last_name", "title", "phone", "company", "website", "website_domain", "country",
    "industry", "employees", "seniority", "department", "company_legal_suffix", "campaign", "source_id",
)  # fmt: skip


@lru_cache(maxsize=64)
def _insert_unless_erased(columns: tuple[str, ...], *, consented: bool) -> TextClause:
    """One statement (compiled once per column set) that inserts the lead unless its email
    exists, or was erased and this lead brings no fresh consent."""
    names = ", ".join(columns)
    values = ", ".join(f":{name}" for name in columns)
    guard = (
        ""
        if consented
        else " WHERE NOT EXISTS (SELECT 1 FROM erasures"
        " WHERE email_hash = encode(sha256(convert_to(:email, 'UTF8')), 'hex'))"
    )
    sql = (
        f"INSERT INTO leads ({names}) SELECT {values}{guard} ON CONFLICT (email) DO NOTHING RETURNING lead_id"
    )
    return text(sql).bindparams(*(bindparam(name, type_=LEADS.c[name].type) for name in columns))


@lru_cache(maxsize=8)
def _insert_many_unless_erased(columns: tuple[str, ...]) -> TextClause:
    """The single-lead insert's rule for a whole chunk, in one statement over a JSON array."""
    names = ", ".join(columns)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    typed = ", ".join(f"{name} {LEADS.c[name].type.compile(dialect=dialect)}" for name in columns)
    sql = (
        f"INSERT INTO leads ({names}, status, version)"
        f" SELECT {names}, 'new', 1 FROM jsonb_to_recordset(:rows) AS r({typed})"
        " WHERE coalesce(r.marketing_consent, false) OR NOT EXISTS (SELECT 1 FROM erasures"
        " WHERE email_hash = encode(sha256(convert_to(r.email, 'UTF8')), 'hex'))"
        " ON CONFLICT (email) DO NOTHING RETURNING lead_id, email"
    )
    return text(sql).bindparams(bindparam("rows", type_=JSONB))


class SqlEngagements:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, engagement: dict[str, Any]) -> bool:
        stored = await self._session.scalar(
            insert(Engagement)
            .values(**engagement)
            .on_conflict_do_nothing()
            .returning(col(Engagement.engagement_id))
        )
        return stored is not None

    async def strip(self, lead_ids: list[str]) -> None:
        await self._session.execute(
            update(Engagement).where(col(Engagement.lead_id).in_(lead_ids)).values(url=None, properties={})
        )


class SqlSourceIds:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lead_for(self, source: str, source_id: str) -> str | None:
        found = await self._session.get(LeadSourceId, (source, source_id), populate_existing=True)
        return found.lead_id if found else None

    async def known(self, source: str, source_ids: set[str]) -> set[str]:
        rows = await self._session.scalars(
            select(col(LeadSourceId.source_id)).where(
                col(LeadSourceId.source) == source, col(LeadSourceId.source_id).in_(source_ids)
            )
        )
        return set(rows)

    async def link(self, source: str, source_id: str, lead_id: str) -> None:
        await self._session.execute(
            insert(LeadSourceId)
            .values(source=source, source_id=source_id, lead_id=lead_id)
            .on_conflict_do_update(index_elements=["source", "source_id"], set_={"lead_id": lead_id})
        )

    async def forget(self, lead_ids: list[str]) -> None:
        await self._session.execute(delete(LeadSourceId).where(col(LeadSourceId.lead_id).in_(lead_ids)))


class SqlDeliveries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, *, source: str, delivery_id: str, content_type: str, body: bytes) -> bool:
        row = {"source": source, "delivery_id": delivery_id, "content_type": content_type, "body": body}
        statement = insert_or_skip(DELIVERIES, tuple(row), ("source", "delivery_id"), "delivery_id")
        return await self._session.scalar(statement, row) is not None

    async def answered(
        self, source: str, delivery_id: str, response: dict[str, Any], *, keep_body: bool
    ) -> None:
        values: dict[str, Any] = {"response": response} if keep_body else {"response": response, "body": b""}
        await self._session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.source) == source, col(WebhookDelivery.delivery_id) == delivery_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def answer(self, source: str, delivery_id: str) -> dict[str, Any] | None:
        response: dict[str, Any] | None = await self._session.scalar(
            select(col(WebhookDelivery.response)).where(
                col(WebhookDelivery.source) == source, col(WebhookDelivery.delivery_id) == delivery_id
            )
        )
        return response

    async def empty_bodies(self, before: datetime, batch: int, at: datetime) -> int:
        delivery = WebhookDelivery
        chosen = (
            select(col(delivery.delivery_id), col(delivery.source))
            .where(col(delivery.received_at) < before, col(delivery.redacted_at).is_(None))
            .limit(batch)
        )
        result = await self._session.execute(
            update(delivery)
            .where(tuple_(col(delivery.delivery_id), col(delivery.source)).in_(chosen))
            .values(body=b"", redacted_at=at)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def prune(self, before: datetime, batch: int) -> int:
        dated = col(WebhookDelivery.received_at) < before
        return await delete_batch(self._session, WebhookDelivery, dated, batch)

    async def redact(self, lead_ids: list[str], at: datetime) -> int:
        """A delivery's answer names every lead it brought: its body goes with any of them."""
        named = [{"items": [{"lead_id": lead_id}]} for lead_id in lead_ids]
        result = await self._session.execute(
            update(WebhookDelivery)
            .where(or_(*(col(WebhookDelivery.response).contains(n) for n in named)) if named else false())
            .values(body=b"", redacted_at=at)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SqlReceipts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, source: str, item_key: str, delivery_id: str) -> bool:
        claimed = await self._session.scalar(
            insert(WebhookReceipt)
            .values(source=source, item_key=item_key, delivery_id=delivery_id, outcome="pending")
            .on_conflict_do_nothing()
            .returning(col(WebhookReceipt.item_key))
        )
        return claimed is not None

    async def lead_of(self, source: str, item_key: str) -> str | None:
        earlier = await self._session.get(WebhookReceipt, (source, item_key), populate_existing=True)
        return earlier.lead_id if earlier else None

    async def prune(self, before: datetime, batch: int) -> int:
        dated = col(WebhookReceipt.created_at) < before
        return await delete_batch(self._session, WebhookReceipt, dated, batch)

    async def settle(
        self, source: str, item_key: str, *, outcome: str, lead_id: str | None, reason: str | None
    ) -> None:
        await self._session.execute(
            update(WebhookReceipt)
            .where(col(WebhookReceipt.source) == source, col(WebhookReceipt.item_key) == item_key)
            .values(outcome=outcome, lead_id=lead_id, reason=reason)
        )


class SqlQuarantine:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, item: Quarantined) -> None:
        self._session.add(QuarantinedItem(**item.model_dump()))
        await self._session.flush()

    async def prune(self, before: datetime, batch: int) -> int:
        item = QuarantinedItem
        resolved = (col(item.status) != "open") & (col(item.resolved_at) < before)
        return await delete_batch(self._session, item, resolved, batch)

    async def forget(self, lead_ids: list[str], email: str) -> None:
        quoted = email.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        await self._session.execute(
            delete(QuarantinedItem).where(
                or_(
                    col(QuarantinedItem.lead_id).in_(lead_ids),
                    cast(col(QuarantinedItem.payload), Text).ilike(f"%{quoted}%"),
                )
            )
        )

    async def get(self, quarantine_id: str, *, lock: bool = False) -> Quarantined | None:
        row = await self._session.get(
            QuarantinedItem, quarantine_id, with_for_update=lock or None, populate_existing=True
        )
        return Quarantined.model_validate(row, from_attributes=True) if row else None

    async def list(self, *, status: str, source: str | None, limit: int) -> list[Quarantined]:
        query = select(QuarantinedItem).where(col(QuarantinedItem.status) == status)
        if source:
            query = query.where(col(QuarantinedItem.source) == source)
        rows = await self._session.scalars(query.order_by(col(QuarantinedItem.created_at)).limit(limit))
        return [Quarantined.model_validate(row, from_attributes=True) for row in rows]

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
        values: dict[str, Any] = {"status": status, "resolved_at": at, "resolved_by": by}
        if status == "resubmitted":
            values |= {"resubmitted_payload": resubmitted_payload, "lead_id": lead_id}
        await self._session.execute(
            update(QuarantinedItem)
            .where(col(QuarantinedItem.quarantine_id) == quarantine_id)
            .values(**values)
        )


class SqlErasures:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, erasure_id: str, email_hash: str, requested_by: str, leads: int) -> None:
        self._session.add(
            Erasure(erasure_id=erasure_id, email_hash=email_hash, requested_by=requested_by, leads=leads)
        )
        await self._session.flush()

    async def known(self, email_hash: str) -> bool:
        found = await self._session.scalar(
            select(col(Erasure.erasure_id)).where(col(Erasure.email_hash) == email_hash).limit(1)
        )
        return found is not None


class SqlImports:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(self, report: LeadImport) -> None:
        values = {
            "import_id": report.import_id,
            "status": report.status,
            "report": report.model_dump(mode="json"),
            "started_at": report.started_at,
            "updated_at": report.updated_at,
        }
        await self._session.execute(
            insert(LeadImportRow)
            .values(**values)
            .on_conflict_do_update(index_elements=["import_id"], set_=values)
        )

    async def get(self, import_id: str) -> LeadImport | None:
        row = await self._session.get(LeadImportRow, import_id, populate_existing=True)
        return LeadImport.model_validate(row.report) if row else None
