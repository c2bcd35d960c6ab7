"""`POST /v1/webhooks/{source}`: authenticated by the sender's signature, not an API key.

Status codes follow what senders retry: 4xx for what a retry cannot fix, 429 and 503 (with
Retry-After) for what it can. The transport is checked here (size, type, load); the use case
(`app.webhooks.receive`) authenticates and stores.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from services.ingest.app import sources, webhooks
from services.ingest.app.models import WebhookAnswer
from services.ingest.entrypoints.deps import GroupDep, PeopleDep, SettingsDep, UowsDep
from services.ingest.settings import IngestSettings
from shared.problems import Problem

router = APIRouter(tags=["webhooks"])
_in_flight = 0


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
            "description": "The platform's own payload, as sent (see docs/webhooks.md).",
            "content": {
                "application/json": {"schema": {"type": ["object", "array"]}},
                "text/xml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def receive(
    source: str, request: Request, settings: SettingsDep, uows: UowsDep, people: PeopleDep, group: GroupDep
) -> Response:
    global _in_flight
    spec = sources.source(source)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in spec.content_types:
        raise Problem(
            415,
            "Unsupported Media Type",
            f"{source} webhooks are {' or '.join(spec.content_types)}, not {content_type or 'untyped'}.",
        )
    delivery = sources.Request(
        method=request.method,
        uri=_signed_uri(request, settings),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=await _limited_body(request, settings.webhook_max_body_bytes),
        now=datetime.now(UTC),
    )
    received = webhooks.Received(source=source, content_type=content_type, request=delivery)
    webhooks.authenticate(received, settings)
    # Only authenticated, fully read deliveries count: a slow stranger cannot lock senders out.
    if _in_flight >= settings.webhook_max_in_flight:
        webhooks.count("webhooks.rejected", webhooks.REJECTED, source, reason="throttled")
        raise Problem(429, "Too Many Requests", "Cascade is busy; retry shortly.", {"Retry-After": "1"})
    _in_flight += 1
    try:
        answer = await webhooks.receive(uows, received, settings, people, group=group)
    finally:
        _in_flight -= 1
    if spec.reply is not None:
        body, media_type = spec.reply
        return Response(body, media_type=media_type)
    return JSONResponse(answer.model_dump(mode="json"))


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
