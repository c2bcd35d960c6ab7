"""MAP sync, the pure part: a segment change becomes list operations per MAP, and the person's
facts become that MAP's properties (HubSpot) or fields (Marketo)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

HUBSPOT_PROPERTIES = {
    "lifecycle_stage": "cascade_lifecycle_stage",
    "score": "cascade_score",
    "buying_role": "cascade_buying_role",
    "open_opp_stage": "cascade_open_opp_stage",
}
MARKETO_FIELDS = {
    "lifecycle_stage": "cascadeLifecycleStage",
    "score": "cascadeScore",
    "buying_role": "cascadeBuyingRole",
    "open_opp_stage": "cascadeOpenOppStage",
}
# Records per request, as each API documents: HubSpot batch endpoints take 100 inputs; Marketo's
# lead database calls take 300 records.
HUBSPOT_BATCH = 100
HUBSPOT_MEMBERSHIP_BATCH = 500
MARKETO_BATCH = 300


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def mapped(facts: dict[str, Any], names: dict[str, str]) -> dict[str, str]:
    """The facts under the MAP's names, as text (an unknown fact is cleared with "")."""
    return {names[k]: "" if v is None else str(v) for k, v in facts.items() if k in names}
