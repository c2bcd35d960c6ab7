"""What a subscription asks for (event types, an optional filter on the payload) and the body of
a webhook as Standard Webhooks has it: `{"type", "timestamp", "data"}`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from shared.errors import Invalid
from shared.events import CATALOG

Scalar = str | int | float | bool | None
Filter = dict[str, list[Scalar]]


def check_events(events: list[str], consumed: set[str]) -> list[str]:
    """The event types, each known and consumed here; an Invalid naming the first that is not."""
    if not events:
        raise Invalid("Name at least one event type.", field="events", reason="empty")
    for position, name in enumerate(events):
        if name not in CATALOG:
            raise Invalid(
                f"{name!r} is not an event type; types are {', '.join(sorted(CATALOG))}.",
                field=f"events.{position}",
                reason="unknown event type",
            )
        if name not in consumed:
            raise Invalid(
                f"outbound does not consume {name!r}.", field=f"events.{position}", reason="not consumed"
            )
    return sorted(set(events))


def check_filter(events: list[str], wanted: Filter) -> Filter:
    """Each filtered field must be a payload field of every subscribed type."""
    for name, values in wanted.items():
        lacking = [e for e in events if name not in CATALOG[e].model_fields]
        if lacking:
            raise Invalid(
                f"{', '.join(lacking)} has no field {name!r}.", field=f"filter.{name}", reason="unknown field"
            )
        if not values:
            raise Invalid("List at least one value.", field=f"filter.{name}", reason="empty")
    return wanted


def matches(wanted: Filter, data: dict[str, Any]) -> bool:
    """Every filtered field holds one of its values (a list field: any of its items)."""
    for name, values in wanted.items():
        found = data.get(name)
        items = found if isinstance(found, list) else [found]
        if not any(item in values for item in items):
            return False
    return True


def webhook_body(event_type: str, at: datetime, data: dict[str, Any]) -> str:
    """The JSON text that is signed and sent, byte for byte, on every attempt."""
    return json.dumps({"type": event_type, "timestamp": at.isoformat(), "data": data}, separators=(",", ":"))
