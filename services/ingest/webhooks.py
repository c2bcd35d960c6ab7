"""A webhook delivery, from raw bytes to stored leads, engagements, receipts and quarantine.

The route authenticates and splits; everything here that writes runs in the caller's one
transaction, so the raw body, the leads, the outbox events and the answer commit together.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.ingest import handlers
from services.ingest.domain import normalise
from services.ingest.domain.webhooks import generic, hubspot, marketo, mautic, salesforce, signatures
from services.ingest.domain.webhooks.items import (
    ContactFetch,
    EngagementItem,
    Item,
    LeadItem,
    PropertyChange,
    RawItem,
    Rejected,
)
from services.ingest.models import EngagementIn, ItemOutcome, LeadIn, WebhookAnswer
from services.ingest.settings import IngestSettings
from services.ingest.tables import Lead, LeadSourceId, QuarantinedItem, WebhookDelivery, WebhookReceipt
from shared.db import insert_or_skip
from shared.problems import Problem
from shared.uow import UnitOfWork

MAX_KEY = 200
FETCH_CONCURRENCY = 8
ENGAGEMENT_IDS = uuid.UUID("9b6f4f0e-4a43-4c8e-9a59-3c5b7d0d2a11")
FLAGS = ("unsubscribed", "marketing_consent")
DELIVERIES = WebhookDelivery.__table__  # type: ignore[attr-defined]


class SourceUnavailable(Exception):
    """A source's API could not be read now; the sender should retry the delivery."""


@dataclass(frozen=True)
class Request:
    """What authentication and splitting need of an HTTP request."""

    method: str
    uri: str
    headers: Mapping[str, str]
    body: bytes
    now: datetime


@dataclass(frozen=True)
class Source:
    content_types: tuple[str, ...]
    authenticate: Callable[[Request, list[str], IngestSettings], str | None]
    delivery_id: Callable[[Request], str]
    split: Callable[[Request], list[RawItem]]
    convert: Callable[[dict[str, Any], IngestSettings], list[Item]]
    # Whether an item's key can come again in another delivery (a HubSpot event id can; the
    # generic source's keys are its delivery id and a position, which the delivery row guards).
    receipts: bool = True


def _body_hash(request: Request) -> str:
    return hashlib.sha256(request.body).hexdigest()


def _salesforce(request: Request, secrets: list[str], settings: IngestSettings) -> str | None:
    """The URL token when one is set (organization ids are not secret), then the organization."""
    if settings.salesforce_url_token:
        offered = parse_qs(urlsplit(request.uri).query).get("token", [""])[0]
        if failure := signatures.shared_secret({"token": offered}, "token", [settings.salesforce_url_token]):
            return f"URL {failure}"
    return signatures.salesforce_org(salesforce.organization_id(request.body), secrets)


SOURCES: dict[str, Source] = {
    "hubspot": Source(
        content_types=("application/json",),
        authenticate=lambda r, secrets, s: signatures.hubspot_v3(
            r.headers, r.method, r.uri, r.body, secrets, r.now, s.webhook_tolerance_seconds
        ),
        # HubSpot signs the timestamp too: the same bytes at another time are a new delivery.
        delivery_id=lambda r: hashlib.sha256(
            r.headers.get("x-hubspot-request-timestamp", "").encode() + r.body
        ).hexdigest(),
        split=lambda r: hubspot.split(r.body),
        convert=lambda payload, _: [hubspot.convert(payload)],
    ),
    "marketo": Source(
        content_types=("application/json",),
        authenticate=lambda r, secrets, s: signatures.shared_secret(
            r.headers, s.marketo_secret_header, secrets
        ),
        # Marketo never retries, and the same body again is a real repeat (the same click another day).
        delivery_id=lambda _: str(uuid.uuid4()),
        split=lambda r: marketo.split(r.body),
        convert=lambda payload, s: marketo.convert(payload, s.marketo_field_map),
    ),
    "mautic": Source(
        content_types=("application/json",),
        authenticate=lambda r, secrets, _: signatures.mautic(r.headers, r.body, secrets),
        delivery_id=_body_hash,
        split=lambda r: mautic.split(r.body),
        convert=lambda payload, _: [mautic.convert(payload)],
    ),
    "salesforce": Source(
        content_types=("text/xml", "application/soap+xml"),
        authenticate=lambda r, secrets, s: _salesforce(r, secrets, s),
        delivery_id=_body_hash,
        split=lambda r: salesforce.split(r.body),
        convert=lambda payload, _: [salesforce.convert(payload)],
    ),
    "generic": Source(
        content_types=("application/json",),
        authenticate=lambda r, secrets, s: signatures.standard_webhooks(
            r.headers, r.body, secrets, r.now, s.webhook_tolerance_seconds
        ),
        delivery_id=lambda r: r.headers["webhook-id"],
        split=lambda r: generic.split(r.body, r.headers["webhook-id"]),
        convert=lambda payload, s: [generic.convert(payload, s.generic_field_map)],
        receipts=False,
    ),
}


@dataclass(frozen=True)
class Unit:
    """One item to judge: its position in the answer, idempotency key, source payload and meaning."""

    index: int
    key: str | None
    payload: dict[str, Any]
    item: Item


def units(source: Source, raws: list[RawItem], settings: IngestSettings) -> list[Unit]:
    out: list[Unit] = []
    for raw in raws:
        try:
            converted = source.convert(raw.payload, settings)
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            # A payload of the right syntax and the wrong shape: the item is refused, not the request.
            converted = [Rejected(f"the item is not in this source's shape: {exc}", None)]
        for part, item in enumerate(converted):
            key = raw.key if raw.key is None or len(converted) == 1 else f"{raw.key}:{part}"
            if key is not None and len(key) > MAX_KEY:  # a B-tree entry must fit a third of a page
                key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
            out.append(Unit(len(out), key, raw.payload, item))
    return out


# --- HubSpot contacts known only by id --------------------------------------------------------


async def resolve_hubspot_ids(uow: UnitOfWork, batch: list[Unit], settings: IngestSettings) -> list[Unit]:
    """Read from HubSpot's CRM API every contact the batch names by id and Cascade does not know."""
    changes = {u.item.source_id for u in batch if isinstance(u.item, PropertyChange)}
    known = set(
        await uow.session.scalars(
            select(col(LeadSourceId.source_id)).where(
                col(LeadSourceId.source) == "hubspot", col(LeadSourceId.source_id).in_(changes)
            )
        )
        if changes
        else []
    )
    created = {u.item.source_id for u in batch if isinstance(u.item, ContactFetch)}
    # A change to a contact created earlier in the same batch applies once the creation is stored.
    unknown = changes - known - created
    wanted = created | unknown
    if not wanted:
        return batch
    contacts = await _fetch_contacts(sorted(wanted), settings)
    return [
        Unit(u.index, u.key, u.payload, contacts[u.item.source_id])
        if isinstance(u.item, ContactFetch)
        or (isinstance(u.item, PropertyChange) and u.item.source_id in unknown)
        else u
        for u in batch
    ]


async def _fetch_contacts(ids: list[str], settings: IngestSettings) -> dict[str, Item]:
    if not settings.hubspot_access_token:
        reason = "HubSpot sent only an id and no HUBSPOT_ACCESS_TOKEN is set to read the contact"
        return dict.fromkeys(ids, Rejected(reason, "objectId"))
    headers = {"Authorization": f"Bearer {settings.hubspot_access_token}"}
    params = {"properties": ",".join(hubspot.FETCHED_PROPERTIES)}
    async with httpx.AsyncClient(
        base_url=settings.hubspot_api_base, headers=headers, timeout=settings.hubspot_api_timeout_seconds
    ) as client:

        async def one(contact_id: str) -> Item:
            try:
                response = await client.get(f"/crm/v3/objects/contacts/{contact_id}", params=params)
            except httpx.HTTPError as exc:
                raise SourceUnavailable(f"HubSpot API: {exc!r}") from exc
            if response.status_code == 404:
                return Rejected(f"HubSpot has no contact {contact_id}", "objectId")
            if response.status_code != 200:
                raise SourceUnavailable(f"HubSpot API answered {response.status_code}")
            try:
                return hubspot.contact(response.json())
            except ValueError as exc:
                raise SourceUnavailable(f"HubSpot API answered 200 without JSON: {exc}") from exc

        async def limited(contact_id: str) -> Item:
            async with gate:
                return await one(contact_id)

        gate = asyncio.Semaphore(FETCH_CONCURRENCY)  # HubSpot allows about 10 requests a second per app
        found = await asyncio.gather(*(limited(contact_id) for contact_id in ids))
    return dict(zip(ids, found, strict=True))


# --- Storing a delivery -----------------------------------------------------------------------


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


def problem_for_unknown(source: str) -> Problem:
    return Problem(404, "Not Found", f"No webhook source {source!r}; sources are {', '.join(SOURCES)}.")
