"""A webhook delivery stored: leads, engagements, receipts, quarantine and the answer.

The route authenticates and splits (`sources`); everything here that writes runs in the caller's
one transaction, so the raw body, the leads, the outbox events and the answer commit together.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.ingest import handlers
from services.ingest.domain import normalise
from services.ingest.domain.webhooks.items import EngagementItem, LeadItem, PropertyChange, Rejected
from services.ingest.models import EngagementIn, ItemOutcome, LeadIn, WebhookAnswer
from services.ingest.sources import Unit
from services.ingest.tables import Lead, LeadSourceId, QuarantinedItem, WebhookDelivery, WebhookReceipt
from shared.db import insert_or_skip
from shared.uow import UnitOfWork

ENGAGEMENT_IDS = uuid.UUID("9b6f4f0e-4a43-4c8e-9a59-3c5b7d0d2a11")
FLAGS = ("unsubscribed", "marketing_consent")
DELIVERIES = WebhookDelivery.__table__  # type: ignore[attr-defined]


async def record_delivery(
    uow: UnitOfWork,
    source: str,
    delivery_id: str,
    content_type: str,
    body: bytes,
    outcomes: list[ItemOutcome],
) -> WebhookAnswer | None:
    """Keep the raw body and the answer; None when this delivery was already received.

    Written last, so a redelivery costs its items' work once more, and in exchange a first
    delivery costs one statement: the caller rolls a redelivery back and answers as before.
    """
    answer = WebhookAnswer(
        source=source,
        delivery_id=delivery_id,
        accepted=sum(o.outcome == "accepted" for o in outcomes),
        duplicates=sum(o.outcome == "duplicate" for o in outcomes),
        rejected=sum(o.outcome == "rejected" for o in outcomes),
        items=outcomes,
    )
    row = {
        "source": source,
        "delivery_id": delivery_id,
        "content_type": content_type,
        "body": body,
        "response": answer.model_dump(mode="json"),
    }
    statement = insert_or_skip(DELIVERIES, tuple(row), ("source", "delivery_id"), "delivery_id")
    stored = await uow.session.scalar(statement, row)
    return answer if stored is not None else None


async def stored_answer(uow: UnitOfWork, source: str, delivery_id: str) -> WebhookAnswer:
    response = await uow.session.scalar(
        select(col(WebhookDelivery.response)).where(
            col(WebhookDelivery.source) == source, col(WebhookDelivery.delivery_id) == delivery_id
        )
    )
    return WebhookAnswer.model_validate(response)


async def judge(
    uow: UnitOfWork, source: str, delivery_id: str | None, unit: Unit, *, receipts: bool = True
) -> ItemOutcome:
    """Store one item (or quarantine it), once per source key (`receipts`: keys recur across deliveries)."""
    claim = receipts and unit.key is not None
    if claim:
        claimed = await uow.session.scalar(
            insert(WebhookReceipt)
            .values(source=source, item_key=unit.key, delivery_id=delivery_id or "", outcome="pending")
            .on_conflict_do_nothing()
            .returning(col(WebhookReceipt.item_key))
        )
        if claimed is None:
            earlier = await uow.session.get(WebhookReceipt, (source, unit.key))
            return ItemOutcome(
                index=unit.index,
                outcome="duplicate",
                item_id=unit.key,
                lead_id=earlier.lead_id if earlier else None,
            )
    try:
        lead_id, status = await apply(uow, source, unit)
        seen = status == "duplicate"  # an engagement whose own id was recorded before
        outcome = ItemOutcome(
            index=unit.index,
            outcome="duplicate" if seen else "accepted",
            item_id=unit.key,
            lead_id=lead_id,
            status=status,
        )
    except ItemRejected as rejection:
        quarantine_id = await quarantine(uow, source, delivery_id, unit.key, unit.payload, rejection)
        outcome = ItemOutcome(
            index=unit.index,
            outcome="rejected",
            item_id=unit.key,
            reason=rejection.reason,
            field=rejection.field,
            quarantine_id=quarantine_id,
        )
    if claim:
        await uow.session.execute(
            update(WebhookReceipt)
            .where(col(WebhookReceipt.source) == source, col(WebhookReceipt.item_key) == unit.key)
            .values(outcome=outcome.outcome, lead_id=outcome.lead_id, reason=outcome.reason)
        )
    return outcome


class ItemRejected(Exception):
    def __init__(self, reason: str, field: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


async def quarantine(
    uow: UnitOfWork,
    source: str,
    delivery_id: str | None,
    item_key: str | None,
    payload: dict[str, Any],
    rejection: ItemRejected,
) -> str:
    quarantine_id = str(uuid.uuid4())
    uow.session.add(
        QuarantinedItem(
            quarantine_id=quarantine_id,
            source=source,
            delivery_id=delivery_id,
            item_key=item_key,
            payload=payload,
            reason=rejection.reason,
            field=rejection.field,
        )
    )
    await uow.session.flush()
    return quarantine_id


async def apply(uow: UnitOfWork, source: str, unit: Unit) -> tuple[str | None, str]:
    """Store what the item says; ItemRejected when it cannot be taken as it is."""
    item = unit.item
    if isinstance(item, Rejected):
        raise ItemRejected(item.reason, item.field)
    if isinstance(item, LeadItem):
        return await _lead(uow, source, item.fields, item.source_id)
    if isinstance(item, PropertyChange):
        lead_id = await _lead_for(uow, source, item.source_id)
        lead = await uow.session.get(Lead, lead_id) if lead_id else None
        if lead is None:
            raise ItemRejected(f"no lead is known by {source} id {item.source_id}", "objectId")
        fields = (
            {"email": item.value} if item.name == "email" else {"email": lead.email, item.name: item.value}
        )
        return await _lead(uow, source, fields, item.source_id)
    if isinstance(item, EngagementItem):
        return await _engagement(uow, source, unit.key, item)
    raise ItemRejected(f"{source} sent only an id that could not be read", None)


async def _lead(
    uow: UnitOfWork, source: str, fields: dict[str, Any], source_id: str | None
) -> tuple[str, str]:
    normalised = handlers.normalised_lead(lead_in(fields, source, source_id))
    known = await _lead_for(uow, source, source_id) if source_id else None
    lead_id, status = await handlers.record_lead(uow, normalised, known_lead_id=known)
    if source_id and known != lead_id:
        await uow.session.execute(
            insert(LeadSourceId)
            .values(source=source, source_id=source_id, lead_id=lead_id)
            .on_conflict_do_update(index_elements=["source", "source_id"], set_={"lead_id": lead_id})
        )
    return lead_id, status


async def _lead_for(uow: UnitOfWork, source: str, source_id: str | None) -> str | None:
    if source_id is None:
        return None
    found = await uow.session.get(LeadSourceId, (source, source_id))
    return found.lead_id if found else None


async def _engagement(uow: UnitOfWork, source: str, key: str | None, item: EngagementItem) -> tuple[str, str]:
    email = item.email or item.person.get("email")
    lead_id: str | None = None
    if email:
        lead_id, _ = await _lead(uow, source, {**item.person, "email": email}, item.source_id)
    else:
        lead_id = await _lead_for(uow, source, item.source_id)
        if lead_id is None:
            raise ItemRejected("no email, and the person's source id is not one Cascade knows", "email")
    own_id = item.engagement_id or key
    engagement_id = str(uuid.uuid5(ENGAGEMENT_IDS, f"{source}:{own_id}")) if own_id else None
    try:
        engagement = EngagementIn(
            engagement_id=engagement_id,
            lead_id=lead_id,
            kind=item.kind,
            occurred_at=item.occurred_at,
            campaign=item.campaign,
            url=item.url,
            properties=item.properties,
        )
    except ValidationError as exc:
        raise _rejection(exc) from exc
    _, lead_id, status = await handlers.record_engagement(uow, engagement)
    return lead_id, status


def lead_in(fields: dict[str, Any], source: str, source_id: str | None) -> LeadIn:
    """The item's fields as the API's lead, coerced the way MAP templates send them (all strings)."""
    data: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "employees":
            try:
                data[name] = normalise.employee_count(value)
            except ValueError as exc:
                raise ItemRejected(str(exc), name) from exc
        elif name in FLAGS:
            data[name] = normalise.flag(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            data[name] = str(value)
        else:
            data[name] = value
    try:
        lead = LeadIn.model_validate({**data, "source": source, "source_id": source_id})
        normalise.normalise_email(lead.email)
    except ValidationError as exc:
        raise _rejection(exc) from exc
    except normalise.InvalidEmail as exc:
        raise ItemRejected(f"not a valid email address: {exc}", "email") from exc
    return lead


def _rejection(exc: ValidationError) -> ItemRejected:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    return ItemRejected(f"{field}: {first['msg']}" if field else first["msg"], field)
