"""CloudEvents 1.0 in Kafka binary content mode: attributes in `ce_*` headers, JSON data.

The W3C `traceparent`/`tracestate` headers travel beside the CloudEvents attributes so one
trace spans the HTTP request, the outbox, Kafka and every consumer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.events.catalog import CATALOG, Event

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
TRACE_HEADERS = ("traceparent", "tracestate")


@dataclass(frozen=True)
class Envelope:
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    data: dict[str, Any]
    dataschema: str | None = None
    aggregate_version: int | None = None
    trace: dict[str, str] = field(default_factory=dict)

    def payload(self) -> Event:
        """The typed payload; KeyError for an event type this catalog does not know."""
        return CATALOG[self.type].model_validate(self.data)


def encode_headers(envelope: Envelope) -> list[tuple[str, bytes]]:
    headers = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": envelope.id,
        "ce_source": envelope.source,
        "ce_type": envelope.type,
        "ce_subject": envelope.subject,
        "ce_time": envelope.time.isoformat(),
        "content-type": CONTENT_TYPE,
    }
    if envelope.dataschema:
        headers["ce_dataschema"] = envelope.dataschema
    if envelope.aggregate_version is not None:
        headers["ce_aggregateversion"] = str(envelope.aggregate_version)
    headers.update(envelope.trace)
    return [(name, value.encode()) for name, value in headers.items()]


class MalformedEvent(ValueError):
    """A Kafka record that is not a CloudEvent this platform can read."""


def decode(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes) -> Envelope:
    attrs = {name: raw.decode("utf-8", "replace") for name, raw in headers}
    missing = [a for a in ("ce_id", "ce_type", "ce_source") if a not in attrs]
    if missing:
        raise MalformedEvent(f"missing CloudEvents headers: {', '.join(missing)}")
    try:
        data = json.loads(value)
    except ValueError as exc:
        raise MalformedEvent(f"data is not JSON: {exc}") from exc
    version = attrs.get("ce_aggregateversion")
    return Envelope(
        id=attrs["ce_id"],
        source=attrs["ce_source"],
        type=attrs["ce_type"],
        subject=attrs.get("ce_subject", ""),
        time=datetime.fromisoformat(attrs["ce_time"]) if "ce_time" in attrs else datetime.now(UTC),
        data=data,
        dataschema=attrs.get("ce_dataschema"),
        aggregate_version=int(version) if version and version.isdigit() else None,
        trace={name: attrs[name] for name in TRACE_HEADERS if name in attrs},
    )
