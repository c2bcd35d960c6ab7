"""A webhook delivery received: authenticated, split into items, each stored or quarantined, and
the raw body and the answer kept, in one transaction. The quarantine's fix-and-resubmit runs the
same items path.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from services.ingest.app import sources
from services.ingest.app.erasure import Erased
from services.ingest.app.items import ItemRejected, apply
from services.ingest.app.models import ItemOutcome, Quarantined, WebhookAnswer
from services.ingest.app.people import PeopleReader, resolve_ids
from services.ingest.app.sources import Request, Source, Unit
from services.ingest.app.uow import IngestUnitOfWork
from services.ingest.domain.normalise import storable
from services.ingest.domain.webhooks.items import MalformedBody, RawItem
from services.ingest.settings import IngestSettings
from shared.errors import Conflict, DomainError, Invalid, NotFound, Unauthorized
from shared.group_commit import GroupCommit
from shared.telemetry import instruments

log = structlog.get_logger(__name__)
Uows = Callable[[], IngestUnitOfWork]
REJECTED = "Webhook deliveries refused at the door, by reason (unauthenticated, throttled)."


class Unauthenticated(Unauthorized):
    """The delivery's signature, secret or timestamp is not valid; nothing is stored."""


class Unreadable(DomainError):
    """Authenticated, but the body is not the source's format (kept in quarantine)."""


@dataclass(frozen=True)
class Received:
    source: str
    content_type: str
    request: Request


def count(name: str, description: str, source: str, **attributes: str) -> None:
    instruments.domain_counter(name, description).add(1, {"source": source, **attributes})


def authenticate(received: Received, settings: IngestSettings) -> None:
    """Unauthenticated when the delivery's signature, secret or timestamp does not hold."""
    _authenticate(sources.source(received.source), received, settings)
    count("webhooks.received", "Authenticated webhook deliveries.", received.source)


async def receive(
    uows: Uows, received: Received, settings: IngestSettings, people: PeopleReader, *, group: GroupCommit
) -> WebhookAnswer:
    """Store an authenticated delivery; a redelivery gets the first delivery's answer and stores
    nothing."""
    source, request = received.source, received.request
    spec = sources.source(source)
    delivery_id = spec.delivery_id(request)
    if len(delivery_id) > sources.MAX_KEY:
        delivery_id = "sha256:" + hashlib.sha256(delivery_id.encode()).hexdigest()
    try:
        batch = sources.units(spec, spec.split(request), settings)
    except MalformedBody as exc:
        await _quarantine_body(uows, source, delivery_id, request.body, str(exc))
        raise Unreadable(
            f"{source} body not readable: {exc}", errors=[{"field": "body", "reason": str(exc)}]
        ) from exc
    if spec.reads_people:
        async with uows() as uow:
            batch = await resolve_ids(uow, source, batch, people)
    answer = await _store(group, uows, received, delivery_id, batch, receipts=spec.receipts)
    for item in answer.items:
        count("webhooks.items", "Webhook items by outcome.", source, outcome=item.outcome)
    return answer


def _authenticate(spec: Source, received: Received, settings: IngestSettings) -> None:
    secrets = settings.secrets_for(received.source)
    try:
        failure = (
            spec.authenticate(received.request, secrets, settings) if secrets else "no secret is configured"
        )
    except MalformedBody as exc:  # Salesforce's organization id is inside the body
        failure = str(exc)
    if failure:
        count("webhooks.rejected", REJECTED, received.source, reason="unauthenticated")
        log.warning("webhook.unauthenticated", source=received.source, reason=failure)
        raise Unauthenticated(f"{received.source} webhook not authenticated: {failure}.")


async def _store(
    group: GroupCommit, uows: Uows, received: Received, delivery_id: str, batch: list[Unit], *, receipts: bool
) -> WebhookAnswer:
    """The delivery is claimed first, so a redelivery does no work and gets the first answer; a
    first delivery shares its commit with concurrent requests."""
    source = received.source

    async def store(uow: IngestUnitOfWork) -> WebhookAnswer | None:
        body = received.request.body
        if not await uow.deliveries.record(
            source=source, delivery_id=delivery_id, content_type=received.content_type, body=body
        ):
            return None
        outcomes = [await judge(uow, source, delivery_id, unit, receipts=receipts) for unit in batch]
        answer = WebhookAnswer.of(source, delivery_id, outcomes)
        # A delivery naming an erased person is not kept: its answer says what became of it.
        erased = any(o.status == "erased" for o in outcomes)
        await uow.deliveries.answered(
            source, delivery_id, answer.model_dump(mode="json"), keep_body=not erased
        )
        return answer

    answer = await group(store)
    if answer is not None:
        return answer
    async with uows() as uow:
        return WebhookAnswer.model_validate(await uow.deliveries.answer(source, delivery_id))


async def judge(
    uow: IngestUnitOfWork, source: str, delivery_id: str | None, unit: Unit, *, receipts: bool = True
) -> ItemOutcome:
    """Store one item (or quarantine it), once per source key (`receipts`: keys recur across deliveries)."""
    claim = receipts and unit.key is not None
    if claim and unit.key is not None and not await uow.receipts.claim(source, unit.key, delivery_id or ""):
        lead_id = await uow.receipts.lead_of(source, unit.key)
        return ItemOutcome(index=unit.index, outcome="duplicate", item_id=unit.key, lead_id=lead_id)
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
    except Erased as erased:  # nothing of the person is kept, not even in quarantine
        outcome = ItemOutcome(
            index=unit.index, outcome="accepted", item_id=unit.key, status="erased", reason=erased.detail
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
    if claim and unit.key is not None:
        await uow.receipts.settle(
            source, unit.key, outcome=outcome.outcome, lead_id=outcome.lead_id, reason=outcome.reason
        )
    return outcome


async def quarantine(
    uow: IngestUnitOfWork,
    source: str,
    delivery_id: str | None,
    item_key: str | None,
    payload: dict[str, Any],
    rejection: ItemRejected,
) -> str:
    quarantine_id = str(uuid.uuid4())
    await uow.quarantine.add(
        Quarantined(
            quarantine_id=quarantine_id,
            source=source,
            delivery_id=delivery_id,
            item_key=item_key,
            payload=payload,
            reason=rejection.reason,
            field=rejection.field,
            created_at=datetime.now(UTC),
        )
    )
    return quarantine_id


async def _quarantine_body(uows: Uows, source: str, delivery_id: str, body: bytes, reason: str) -> None:
    """An authenticated body that cannot be read is kept for a person to look at."""
    payload = {"body": storable(body.decode("utf-8", errors="replace"))}
    async with uows() as uow:
        await quarantine(uow, source, delivery_id, None, payload, ItemRejected(reason, "body"))
        await uow.commit()


async def resubmit(
    uow: IngestUnitOfWork,
    quarantine_id: str,
    payload: dict[str, Any] | None,
    settings: IngestSettings,
    people: PeopleReader,
    actor: str,
) -> list[ItemOutcome]:
    """Take a quarantined item again, as stored or as corrected; still refused -> Invalid and it stays."""
    row = await _open_item(uow, quarantine_id)
    spec = sources.source(row.source)
    try:
        given = payload if payload is not None else row.payload
        batch = sources.units(spec, [RawItem(key=None, payload=given)], settings)
        if spec.reads_people:
            batch = await resolve_ids(uow, row.source, batch, people)
        outcomes = []
        for unit in batch:
            lead_id, status = await apply(uow, row.source, unit)
            outcomes.append(ItemOutcome(index=unit.index, outcome="accepted", lead_id=lead_id, status=status))
    except ItemRejected as rejection:
        raise Invalid(
            f"still refused: {rejection.reason}",
            errors=[{"field": rejection.field or "payload", "reason": rejection.reason}],
        ) from rejection
    await uow.quarantine.resolve(
        quarantine_id,
        status="resubmitted",
        at=datetime.now(UTC),
        by=actor,
        resubmitted_payload=payload,
        lead_id=next((o.lead_id for o in outcomes if o.lead_id), None),
    )
    return outcomes


async def discard(uow: IngestUnitOfWork, quarantine_id: str, actor: str) -> None:
    """Give up on a quarantined item (kept, marked discarded)."""
    if await uow.quarantine.get(quarantine_id, lock=True) is None:
        raise NotFound(f"No quarantined item {quarantine_id}.")
    await uow.quarantine.resolve(quarantine_id, status="discarded", at=datetime.now(UTC), by=actor)


async def _open_item(uow: IngestUnitOfWork, quarantine_id: str) -> Quarantined:
    row = await uow.quarantine.get(quarantine_id, lock=True)
    if row is None:
        raise NotFound(f"No quarantined item {quarantine_id}.")
    if row.status != "open":
        raise Conflict(f"Quarantined item {quarantine_id} is already {row.status}.")
    return row
