"""One webhook item applied: a lead, a property change of a person known by id, an engagement.

`ItemRejected` says why an item cannot be taken as it is; the caller quarantines it.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError

from services.ingest.app.erasure import erase
from services.ingest.app.leads import record_engagement, record_lead
from services.ingest.app.sources import Unit
from services.ingest.app.uow import IngestUnitOfWork
from services.ingest.domain import normalise
from services.ingest.domain.inputs import EngagementIn, LeadIn
from services.ingest.domain.leads import normalised_lead
from services.ingest.domain.webhooks.items import (
    EngagementItem,
    ErasureRequest,
    LeadItem,
    PropertyChange,
    Rejected,
)

ENGAGEMENT_IDS = uuid.UUID("9b6f4f0e-4a43-4c8e-9a59-3c5b7d0d2a11")
FLAGS = ("unsubscribed", "marketing_consent")


class ItemRejected(Exception):
    def __init__(self, reason: str, field: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


async def apply(uow: IngestUnitOfWork, source: str, unit: Unit) -> tuple[str | None, str]:
    """Store what the item says; ItemRejected when it cannot be taken as it is."""
    item = unit.item
    if isinstance(item, Rejected):
        raise ItemRejected(item.reason, item.field)
    if isinstance(item, LeadItem):
        return await _lead(uow, source, item.fields, item.source_id)
    if isinstance(item, PropertyChange):
        lead_id = await uow.source_ids.lead_for(source, item.source_id)
        lead = await uow.leads.get(lead_id) if lead_id else None
        if lead is None:
            raise ItemRejected(f"no lead is known by {source} id {item.source_id}", "objectId")
        fields = (
            {"email": item.value} if item.name == "email" else {"email": lead.email, item.name: item.value}
        )
        return await _lead(uow, source, fields, item.source_id)
    if isinstance(item, EngagementItem):
        return await _engagement(uow, source, unit.key, item)
    if isinstance(item, ErasureRequest):
        return await _erasure(uow, source, item)
    raise ItemRejected(f"{source} sent only an id that could not be read", None)


async def _lead(
    uow: IngestUnitOfWork, source: str, fields: dict[str, Any], source_id: str | None
) -> tuple[str, str]:
    normalised = normalised_lead(lead_in(fields, source, source_id))
    known = await uow.source_ids.lead_for(source, source_id) if source_id else None
    lead_id, status = await record_lead(uow, normalised, known_lead_id=known)
    if source_id and known != lead_id:
        await uow.source_ids.link(source, source_id, lead_id)
    return lead_id, status


async def _engagement(
    uow: IngestUnitOfWork, source: str, key: str | None, item: EngagementItem
) -> tuple[str, str]:
    email = item.email or item.person.get("email")
    lead_id: str | None = None
    if email:
        lead_id, _ = await _lead(uow, source, {**item.person, "email": email}, item.source_id)
    elif item.source_id is not None:
        lead_id = await uow.source_ids.lead_for(source, item.source_id)
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
            campaign_external_id=item.campaign_external_id,
            url=item.url,
            properties=item.properties,
        )
    except ValidationError as exc:
        raise _rejection(exc) from exc
    _, lead_id, status = await record_engagement(uow, engagement, source=source)
    return lead_id, status


async def _erasure(uow: IngestUnitOfWork, source: str, item: ErasureRequest) -> tuple[str | None, str]:
    if item.email is None and (
        item.source_id is None or await uow.source_ids.lead_for(source, item.source_id) is None
    ):
        return None, "ignored"  # a person Cascade never knew: nothing to erase
    erasure = await erase(
        uow, requested_by=f"{source} webhook", email=item.email, source=source, source_id=item.source_id
    )
    return (erasure.lead_ids[0] if erasure.lead_ids else None), "erased"


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
