"""Outbound's records: subscriptions, their deliveries and attempts, alerts, MAP sync work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class Subscription(BaseModel):
    """An endpoint that receives the events it names, signed with its secret. After a rotation the
    previous secret signs too, until `previous_secret_until`."""

    subscription_id: str
    url: str
    events: list[str]
    filter: dict[str, list[Any]] = {}
    description: str | None = None
    secret: str
    previous_secret: str | None = None
    previous_secret_until: datetime | None = None
    status: str = "active"  # active | disabled
    disabled_reason: str | None = None
    failing_since: datetime | None = None
    created_by: str
    created_at: datetime
    updated_at: datetime


class Delivery(BaseModel):
    """One event for one subscription: the queue row and, once done, the log entry."""

    delivery_id: str
    subscription_id: str
    event_id: str
    event_type: str
    key: str
    body: str
    status: str = "pending"  # pending | delivered | failed
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    event_at: datetime
    window_from: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None = None
    created_at: datetime


class Attempt(BaseModel):
    delivery_id: str
    attempt: int
    at: datetime
    status_code: int | None = None
    error: str | None = None
    duration_ms: float


class Alert(BaseModel):
    """One message to one chat channel or email address."""

    alert_id: str
    kind: str
    subject: str
    text: str
    channel: str  # chat | email
    target: str
    format: str  # slack | teams | text
    audience: str
    status: str = "pending"  # pending | sent | failed
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime
    sent_at: datetime | None = None
    created_at: datetime


class SyncOp(BaseModel):
    """A person put on or taken off a MAP list, with the facts to write to them."""

    seq: int | None = None
    system: str  # hubspot | marketo
    op: str  # add | remove
    list_id: str
    person_id: str
    email: str
    facts: dict[str, Any] = {}
    status: str = "pending"  # pending | done | skipped | failed
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime
    done_at: datetime | None = None
    created_at: datetime


class SyncLogEntry(BaseModel):
    """One request to a MAP and what came of it."""

    system: str
    request: str
    items: int
    status_code: int | None = None
    outcome: str
    detail: str | None = None
    at: datetime
