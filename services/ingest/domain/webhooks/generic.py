"""Anything else, signed by the Standard Webhooks scheme, with a field map from settings.

The body is one record, a list of records, or an envelope `{"type": ..., "data": <record or
list>}`. A record whose mapped fields include `kind` is an engagement; any other is a lead.
"""

from __future__ import annotations

from typing import Any

from services.ingest.domain.webhooks.items import (
    LEAD_FIELDS,
    EngagementItem,
    Item,
    LeadItem,
    MalformedBody,
    RawItem,
    load_json,
    mapped,
    object_list,
)

ENGAGEMENT_FIELDS = ("kind", "occurred_at", "url", "engagement_id", "properties")
DEFAULT_FIELD_MAP = {name: name for name in (*LEAD_FIELDS, *ENGAGEMENT_FIELDS, "source_id")}


def split(body: bytes, delivery_id: str) -> list[RawItem]:
    document = load_json(body)
    records = document.get("data") if isinstance(document, dict) and "data" in document else document
    listed = object_list(records, "the body (or its data)")
    if not listed:
        raise MalformedBody("no record in the body")
    return [RawItem(key=f"{delivery_id}:{index}", payload=record) for index, record in enumerate(listed)]


def convert(record: dict[str, Any], field_map: dict[str, str] | None = None) -> Item:
    fields = mapped(record, field_map or DEFAULT_FIELD_MAP)
    source_id = fields.pop("source_id", None)
    source_id = str(source_id) if source_id is not None else None
    if "kind" not in fields:
        return LeadItem(fields={k: v for k, v in fields.items() if k in LEAD_FIELDS}, source_id=source_id)
    properties = fields.get("properties")
    return EngagementItem(
        kind=str(fields["kind"]),
        email=fields.get("email"),
        source_id=source_id,
        occurred_at=fields.get("occurred_at"),
        url=fields.get("url"),
        campaign=fields.get("campaign"),
        properties=properties if isinstance(properties, dict) else {},
        person={k: v for k, v in fields.items() if k in LEAD_FIELDS},
        engagement_id=str(fields["engagement_id"]) if "engagement_id" in fields else None,
    )
