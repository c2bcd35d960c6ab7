"""A lead arriving again is the same person: what changed, never a second lead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def changed_fields(current: Mapping[str, Any], incoming: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `incoming` that carry a new value; an absent (None) value erases nothing."""
    return {
        name: value for name, value in incoming.items() if value is not None and current.get(name) != value
    }
