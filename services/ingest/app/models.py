"""What ingest's use cases answer: per-item outcomes of a delivery, quarantined items."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, JsonValue


class ItemOutcome(BaseModel):
    """What became of one item of a webhook delivery."""

    index: int
    outcome: Literal["accepted", "duplicate", "rejected"]
    item_id: str | None = Field(None, description="The source's id for the item, when it gives one.")
    lead_id: str | None = None
    status: str | None = Field(
        None, description="created | updated | unchanged | recorded | ignored | erased"
    )
    reason: str | None = None
    field: str | None = None
    quarantine_id: str | None = None


class WebhookAnswer(BaseModel):
    source: str
    delivery_id: str
    accepted: int
    duplicates: int
    rejected: int
    items: list[ItemOutcome]

    @classmethod
    def of(cls, source: str, delivery_id: str, outcomes: list[ItemOutcome]) -> WebhookAnswer:
        return cls(
            source=source,
            delivery_id=delivery_id,
            accepted=sum(o.outcome == "accepted" for o in outcomes),
            duplicates=sum(o.outcome == "duplicate" for o in outcomes),
            rejected=sum(o.outcome == "rejected" for o in outcomes),
            items=outcomes,
        )


class Quarantined(BaseModel):
    """An item (or a whole unreadable body) refused with its reason, to be fixed and re-submitted."""

    quarantine_id: str
    source: str
    delivery_id: str | None
    item_key: str | None
    payload: dict[str, JsonValue]
    reason: str
    field: str | None
    status: str = "open"
    lead_id: str | None = None
    resubmitted_payload: dict[str, JsonValue] | None = Field(
        None, description="The corrected item, if one was sent."
    )
    created_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = Field(None, description="Who resubmitted or discarded it.")


MAX_REPORTED_ERRORS = 1000


class LeadImport(BaseModel):
    """A bulk lead import's progress, kept in the database (any replica answers for it)."""

    import_id: str
    format: str
    status: Literal["running", "done", "failed"] = "running"
    phase: str = "parsing"
    rows_read: int = 0
    rows_valid: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = Field(0, description="Valid rows not recorded (the person was erased).")
    error_count: int = 0
    errors: list[dict[str, JsonValue]] = Field(
        default_factory=list, description=f"line, field and reason of the first {MAX_REPORTED_ERRORS}"
    )
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    failure: str | None = None

    def error(self, line: int, field: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "field": field, "reason": reason})
