"""`POST /v1/webhooks/{source}`: authenticated by the sender's signature, not an API key.

Status codes follow what senders retry: 4xx for what a retry cannot fix, 429 and 503 (with
Retry-After) for what it can. Nothing is stored for a delivery that fails authentication.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError

from services.ingest import hubspot_api, sources, webhooks
from services.ingest.domain.normalise import storable
from services.ingest.domain.webhooks import salesforce
from services.ingest.domain.webhooks.items import MalformedBody
from services.ingest.models import WebhookAnswer
from services.ingest.settings import IngestSettings
from services.ingest.sources import SOURCES
from services.ingest.webhooks import ItemRejected
from shared.app import RuntimeDep
from shared.kafka.consumer import TRANSIENT_ERRORS
from shared.problems import Problem
from shared.runtime import Runtime
from shared.telemetry import instruments

router = APIRouter(tags=["webhooks"])
log = structlog.get_logger(__name__)
_in_flight = 0
REJECTED = "Webhook deliveries refused at the door, by reason (unauthenticated, throttled)."
# Deadlock and serialization failure.
RETRYABLE_SQLSTATES = {"40P01", "40001"}


def _counter(name: str, description: str, source: str, **attributes: str) -> None:
    instruments.domain_counter(name, description).add(1, {"source": source, **attributes})


@router.post(
    "/webhooks/{source}",
    summary="Receive a MAP webhook (hubspot, marketo, mautic, salesforce, generic)",
    response_model=WebhookAnswer,
    responses={
        200: {"description": "Per item: accepted | duplicate | rejected (Salesforce: the SOAP Ack)."},
        400: {"description": "Authenticated, but the body cannot be read (kept in quarantine)."},
        401: {"description": "Signature, secret or timestamp not valid; nothing stored."},
        404: {"description": "Unknown source."},
        413: {"description": "Body over WEBHOOK_MAX_BODY_BYTES."},
        415: {"description": "Not the source's content type."},
        429: {"description": "Over WEBHOOK_MAX_IN_FLIGHT; retry after Retry-After."},
        503: {"description": "Storage or the source's API unavailable; retry after Retry-After."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The platform's own payload, as sent (see the README's MAP webhooks section).",
            "content": {
                "application/json": {"schema": {"type": ["object", "array"]}},
                "text/xml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def receive(source: str, request: Request, runtime: RuntimeDep) -> Response:
    global _in_flight
    spec = SOURCES.get(source)
    if spec is None:
        raise sources.problem_for_unknown(source)
    settings = runtime.settings
    assert isinstance(settings, IngestSettings)
    if _in_flight >= settings.webhook_max_in_flight:
        _counter("webhooks.rejected", REJECTED, source, reason="throttled")
        raise Problem(429, "Too Many Requests", "Cascade is busy; retry shortly.", {"Retry-After": "1"})
    _in_flight += 1
    try:
        return await _receive(source, spec, request, runtime, settings)
    finally:
        _in_flight -= 1


async def _receive(
    source: str, spec: sources.Source, request: Request, runtime: Runtime, settings: IngestSettings
) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in spec.content_types:
        raise Problem(
            415,
            "Unsupported Media Type",
            f"{source} webhooks are {' or '.join(spec.content_types)}, not {content_type or 'untyped'}.",
        )
    body = await _limited_body(request, settings.webhook_max_body_bytes)
    delivery = sources.Request(
        method=request.method,
        uri=_signed_uri(request, settings),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=body,
        now=datetime.now(UTC),
    )
    secrets = settings.secrets_for(source)
    try:
        failure = spec.authenticate(delivery, secrets, settings) if secrets else "no secret is configured"
    except MalformedBody as exc:  # Salesforce's organization id is inside the body
        failure = str(exc)
    if failure:
        _counter("webhooks.rejected", REJECTED, source, reason="unauthenticated")
        log.warning("webhook.unauthenticated", source=source, reason=failure)
        raise Problem(401, "Unauthorized", f"{source} webhook not authenticated: {failure}.")
    _counter("webhooks.received", "Authenticated webhook deliveries.", source)
    delivery_id = spec.delivery_id(delivery)
    if len(delivery_id) > sources.MAX_KEY:
        delivery_id = "sha256:" + hashlib.sha256(delivery_id.encode()).hexdigest()
    try:
        batch = sources.units(spec, spec.split(delivery), settings)
        if source == "hubspot":
            async with runtime.uow() as uow:
                batch = await hubspot_api.resolve_hubspot_ids(uow, batch, settings)
        async with runtime.uow() as uow:
            outcomes = [
                await webhooks.judge(uow, source, delivery_id, unit, receipts=spec.receipts) for unit in batch
            ]
            answer = await webhooks.record_delivery(uow, source, delivery_id, content_type, body, outcomes)
            if answer is not None:
                await uow.commit()
        if answer is None:  # a redelivery: what it did again is rolled back; it gets the first answer
            async with runtime.uow() as uow:
                answer = await webhooks.stored_answer(uow, source, delivery_id)
    except MalformedBody as exc:
        try:
            await _quarantine_body(runtime, source, delivery_id, body, str(exc))
        except TRANSIENT_ERRORS as store_error:
            log.warning("webhook.store_unavailable", source=source, error=repr(store_error))
            raise _retry_later("Storage unavailable; retry.", 5) from exc
        raise Problem(
            400,
            "Bad Request",
            f"{source} body not readable: {exc}",
            errors=[{"field": "body", "reason": str(exc)}],
        ) from exc
    except hubspot_api.SourceUnavailable as exc:
        log.warning("webhook.source_unavailable", source=source, error=str(exc))
        raise _retry_later(str(exc), 60) from exc
    except TRANSIENT_ERRORS as exc:
        log.warning("webhook.store_unavailable", source=source, error=repr(exc))
        raise _retry_later("Storage unavailable; retry.", 5) from exc
    except DBAPIError as exc:
        # A concurrent delivery of the same person won a race, or PostgreSQL broke a deadlock:
        # the transaction was rolled back whole and a retry succeeds.
        if (
            not isinstance(exc, IntegrityError)
            and getattr(exc.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES
        ):
            raise
        log.info("webhook.conflict", source=source, error=str(exc.orig))
        raise _retry_later("A conflicting write; retry.", 1) from exc
    for item in answer.items:
        _counter("webhooks.items", "Webhook items by outcome.", source, outcome=item.outcome)
    if source == "salesforce":
        return Response(salesforce.ACK, media_type="text/xml")
    return JSONResponse(answer.model_dump(mode="json"))


def _retry_later(detail: str, seconds: int) -> Problem:
    return Problem(503, "Service Unavailable", detail, {"Retry-After": str(seconds)})


async def _limited_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "Content Too Large", f"The body is over {limit} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "Content Too Large", f"The body is over {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _signed_uri(request: Request, settings: IngestSettings) -> str:
    """The URI HubSpot signed: the public URL it called, which a proxy may have rewritten."""
    if not settings.webhook_public_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return settings.webhook_public_url.rstrip("/") + request.url.path + query


async def _quarantine_body(runtime: Runtime, source: str, delivery_id: str, body: bytes, reason: str) -> None:
    """An authenticated body that cannot be read is kept for a person to look at."""
    payload = {"body": storable(body.decode("utf-8", errors="replace"))}
    async with runtime.uow() as uow:
        await webhooks.quarantine(uow, source, delivery_id, None, payload, ItemRejected(reason, "body"))
        await uow.commit()
