"""Outbound's request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from services.outbound.app.models import Alert, Attempt, Delivery, Subscription

Scalar = str | int | float | bool | None


class SubscriptionIn(BaseModel):
    url: str = Field(max_length=2000)
    events: list[str] = Field(max_length=100, description="Event types, e.g. lead.converted.")
    filter: dict[str, list[Scalar]] = Field(
        default_factory=dict,
        max_length=20,
        description="Payload field -> accepted values; an event is sent when every field holds one.",
    )
    description: str | None = Field(None, max_length=500)


class SubscriptionPatch(BaseModel):
    url: str | None = Field(None, max_length=2000)
    events: list[str] | None = Field(None, max_length=100)
    filter: dict[str, list[Scalar]] | None = Field(None, max_length=20)
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = None
    rotate_secret: bool = Field(
        False, description="A new secret; the old one also signs for the grace period."
    )


class SubscriptionOut(BaseModel):
    subscription_id: str
    url: str
    events: list[str]
    filter: dict[str, list[Any]]
    description: str | None
    status: str
    disabled_reason: str | None
    failing_since: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    secret: str | None = Field(None, description="Only when created or rotated.")
    previous_secret_until: datetime | None = None

    @classmethod
    def of(cls, subscription: Subscription, *, with_secret: bool = False) -> SubscriptionOut:
        values = subscription.model_dump(exclude={"secret", "previous_secret"})
        return cls(**values, secret=subscription.secret if with_secret else None)


class AttemptOut(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptOut:
        return cls(**attempt.model_dump(exclude={"delivery_id"}))


class DeliveryOut(BaseModel):
    delivery_id: str
    webhook_id: str
    event_type: str
    key: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    event_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    history: list[AttemptOut]

    @classmethod
    def of(cls, delivery: Delivery, attempts: list[Attempt]) -> DeliveryOut:
        return cls(
            **delivery.model_dump(include=set(cls.model_fields) - {"next_attempt_at", "history"}),
            webhook_id=delivery.event_id,
            next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
            history=[AttemptOut.of(a) for a in attempts],
        )


class DeliveryLog(BaseModel):
    deliveries: list[DeliveryOut]
    next_before: int | None = Field(None, description="Pass as `before` for the next (older) page.")


class AlertOut(BaseModel):
    alert_id: str
    kind: str
    subject: str
    channel: str
    target: str
    audience: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        out = cls(**alert.model_dump(include=set(cls.model_fields)))
        if out.channel == "chat":  # an incoming webhook's path is its secret
            parts = urlsplit(out.target)
            out.target = f"{parts.scheme}://{parts.hostname}/..." if parts.hostname else "a chat webhook"
        return out


class MapSyncStatus(BaseModel):
    hubspot_lists: dict[str, str] = Field(description="Segment id -> HubSpot list id.")
    marketo_lists: dict[str, str] = Field(description="Segment id -> Marketo static list id.")
    operations: dict[str, dict[str, int]] = Field(description="Per MAP: operations by status.")
