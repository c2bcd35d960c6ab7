"""What a webhook delivery contains once split: items each judged alone.

Parsers turn a source's payload into these plain records (field names are Cascade's); the
service validates and stores them. An item keeps the payload it came from so a quarantined item
can be shown, fixed and re-submitted in the source's own shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from services.ingest.domain.inputs import PERSON_INPUT_FIELDS
from services.ingest.domain.normalise import storable

# What a source can say about a person, in Cascade's field names.
LEAD_FIELDS = PERSON_INPUT_FIELDS


class MalformedBody(ValueError):
    """The body cannot be read as this source's format at all (the whole delivery is refused)."""


@dataclass(frozen=True)
class LeadItem:
    """A person's fields as the source holds them (a creation or a full update)."""

    fields: dict[str, Any]
    source_id: str | None = None


@dataclass(frozen=True)
class EngagementItem:
    """Something a person did; `email` or `source_id` (the source's person id) finds them."""

    kind: str
    email: str | None
    source_id: str | None
    occurred_at: str | None = None
    url: str | None = None
    campaign: str | None = None
    campaign_external_id: str | None = None  # the platform's id, when `campaign` is the name
    properties: dict[str, Any] = field(default_factory=dict)
    person: dict[str, Any] = field(default_factory=dict)
    engagement_id: str | None = None  # the sender's own id for it, when it gives one


@dataclass(frozen=True)
class PropertyChange:
    """One field of a person the source knows by id (HubSpot `contact.propertyChange`)."""

    source_id: str
    name: str
    value: Any


@dataclass(frozen=True)
class ContactFetch:
    """Only an id: the person must be read from the source's API (HubSpot `contact.creation`)."""

    source_id: str


@dataclass(frozen=True)
class ErasureRequest:
    """The source asks to erase a person (HubSpot's privacy deletion, a Mautic contact deleted)."""

    source_id: str | None
    email: str | None = None


@dataclass(frozen=True)
class Rejected:
    reason: str
    field: str | None = None


Item = LeadItem | EngagementItem | PropertyChange | ContactFetch | ErasureRequest | Rejected


@dataclass(frozen=True)
class RawItem:
    """One item of a delivery: its idempotency key (None when the source gives none) and payload."""

    key: str | None
    payload: dict[str, Any]


def mapped(record: dict[str, Any], field_map: dict[str, str]) -> dict[str, Any]:
    """Cascade's fields from a record, `field_map` saying which source key (dotted path) feeds which.

    Empty strings count as absent: templates render a token with no value as "". When two source
    keys feed one field (phone and mobile), the first in the map that has a value wins.
    """
    out: dict[str, Any] = {}
    for source_key, target in field_map.items():
        value = dig(record, source_key)
        if value is None or (isinstance(value, str) and not value.strip()) or target in out:
            continue
        out[target] = value
    return out


def dig(record: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(record, dict):
            return None
        record = record.get(part)
    return record


def object_list(value: Any, what: str) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return value
    raise MalformedBody(f"{what} must be an object or a list of objects")


def load_json(body: bytes) -> Any:
    """The body as JSON, with what PostgreSQL cannot store scrubbed out."""
    try:
        return storable(json.loads(body, parse_constant=_not_json))
    except (ValueError, RecursionError) as exc:
        raise MalformedBody(f"not JSON: {exc}") from exc


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")
