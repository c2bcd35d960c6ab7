"""Each webhook source: its content types, authentication, delivery id, splitting and parsing.

A delivery becomes `Unit`s, the items judged one by one (see `webhooks`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from services.ingest.domain.webhooks import generic, hubspot, marketo, mautic, salesforce, signatures
from services.ingest.domain.webhooks.items import Item, RawItem, Rejected
from services.ingest.settings import IngestSettings
from shared.errors import NotFound

MAX_KEY = 200


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
    # Whether its items may name a person by id only, to be read from the source's API.
    reads_people: bool = False
    # What the sender wants back instead of the JSON answer: (body, media type).
    reply: tuple[str, str] | None = None


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
        reads_people=True,
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
        reply=(salesforce.ACK, "text/xml"),  # Outbound Messages want the SOAP acknowledgement
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


def source(name: str) -> Source:
    found = SOURCES.get(name)
    if found is None:
        raise NotFound(f"No webhook source {name!r}; sources are {', '.join(SOURCES)}.")
    return found
