"""Outbound's settings: webhook delivery and its SSRF guard, alert rules and directory, MAP sync."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator

from services.outbound.domain.alerts import (
    DEFAULT_RULES,
    DEFAULT_STAGE_TEAMS,
    AlertRule,
    Contact,
    Directory,
    unknown_kinds,
)
from services.outbound.domain.map_sync import HUBSPOT_PROPERTIES, MARKETO_FIELDS
from services.outbound.domain.retry import RetryPolicy
from services.outbound.domain.targets import TargetPolicy
from shared.settings import Settings


class OutboundSettings(Settings):
    outbound_allow_loopback_targets: bool = Field(
        False,
        description="Let subscriptions call loopback addresses (the embedded stack does, for local tests).",
    )
    outbound_allow_private_targets: bool = Field(
        False, description="Let subscriptions call private (RFC 1918, ULA) addresses."
    )
    outbound_delivery_poll_seconds: float = Field(
        0.2, ge=0, description="How often due deliveries are sent (0: never)."
    )
    outbound_delivery_batch: int = Field(200, gt=0, description="Deliveries claimed per pass.")
    outbound_delivery_concurrency: int = Field(16, gt=0, description="Requests in flight per process.")
    outbound_delivery_timeout_seconds: float = Field(10.0, gt=0, description="A subscriber's time to answer.")
    outbound_retry_base_seconds: float = Field(
        5.0, gt=0, description="First retry delay; doubles each attempt."
    )
    outbound_retry_max_seconds: float = Field(3600.0, gt=0, description="Longest delay between two attempts.")
    outbound_retry_window_hours: float = Field(
        72.0, gt=0, description="A delivery is retried this long, then failed."
    )
    outbound_disable_after_days: float = Field(
        5.0, gt=0, description="An endpoint failing every attempt this long is disabled (and RevOps alerted)."
    )
    outbound_delivery_retention_days: float = Field(
        30.0, gt=0, description="Delivered and failed deliveries (and their attempts) are kept this long."
    )
    outbound_log_retention_days: float = Field(
        30.0, gt=0, description="Sent alerts, settled MAP operations and the sync log are kept this long."
    )
    outbound_secret_grace_hours: float = Field(
        24.0,
        ge=0,
        description="After a rotation, deliveries carry the old secret's signature too for this long.",
    )
    outbound_alert_rules: dict[str, AlertRule] = Field(
        default_factory=lambda: dict(DEFAULT_RULES),
        description="JSON object: event type (or outbound's own kind) -> {to: [revops|owner|stage_owner|"
        "stage_team], title}. Replaces the defaults; validated at start.",
    )
    outbound_teams: dict[str, Contact] = Field(
        default_factory=dict,
        description="JSON object: team (revops, marketing, sdr, sales, customer_success) -> "
        "{chat: {url, format: slack|teams}, emails: [...]}.",
    )
    outbound_people: dict[str, Contact] = Field(
        default_factory=dict, description="JSON object: a rep id (an opp's owner) -> {chat, emails}."
    )
    outbound_stage_teams: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_STAGE_TEAMS),
        description="JSON object: `type.stage` or `stage` -> the team owning it.",
    )
    outbound_alert_poll_seconds: float = Field(
        1.0, ge=0, description="How often queued alerts are sent (0: never)."
    )
    outbound_alert_window_hours: float = Field(24.0, gt=0, description="An alert is retried this long.")
    smtp_host: str | None = Field(
        None, description="SMTP server for email alerts; none: email alerts are not sent."
    )
    smtp_port: int = Field(587, description="SMTP port.")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_username: str | None = Field(None, description="SMTP user, when the server needs one.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_from: str = Field("cascade@localhost", description="The From address of alert emails.")
    outbound_watch_services: dict[str, str] = Field(
        default_factory=dict,
        description="JSON object: service -> base URL whose /readyz is probed (a stalled consumer,"
        " a service that does not answer).",
    )
    outbound_watch_seconds: float = Field(
        30.0,
        ge=0,
        description="How often dead-letter topics and the watched services are checked (0: never).",
    )

    hubspot_access_token: str | None = Field(
        None, description="HubSpot private app token (scopes crm.lists.write, crm.objects.contacts.write)."
    )
    hubspot_api_base: str = Field("https://api.hubapi.com", description="HubSpot's API root.")
    outbound_hubspot_lists: dict[str, str] = Field(
        default_factory=dict, description="JSON object: segment id -> HubSpot list id (a MANUAL list)."
    )
    outbound_hubspot_properties: dict[str, str] = Field(
        default_factory=lambda: dict(HUBSPOT_PROPERTIES),
        description="JSON object: person fact (lifecycle_stage, score, buying_role, open_opp_stage) -> "
        "HubSpot contact property.",
    )
    outbound_hubspot_requests_per_10s: int = Field(
        100, gt=0, description="Requests per rolling 10 s (HubSpot's private-app limit is 100 or 190)."
    )
    marketo_base_url: str | None = Field(
        None, description="Marketo REST root, e.g. https://123-ABC-456.mktorest.com; unset: no Marketo sync."
    )
    marketo_client_id: str | None = Field(None, description="Marketo LaunchPoint service client id.")
    marketo_client_secret: str | None = Field(None, description="Marketo LaunchPoint service client secret.")
    outbound_marketo_lists: dict[str, str] = Field(
        default_factory=dict, description="JSON object: segment id -> Marketo static list id."
    )
    outbound_marketo_fields: dict[str, str] = Field(
        default_factory=lambda: dict(MARKETO_FIELDS),
        description="JSON object: person fact -> Marketo lead field (REST API name).",
    )
    outbound_marketo_calls_per_20s: int = Field(
        100, gt=0, description="Calls per rolling 20 s (Marketo allows 100 per instance, shared)."
    )
    outbound_map_sync_seconds: float = Field(
        2.0, ge=0, description="How often queued MAP changes are sent (0: never)."
    )
    outbound_map_retry_window_hours: float = Field(
        24.0, gt=0, description="A MAP change is retried this long."
    )

    @field_validator("outbound_alert_rules")
    @classmethod
    def _known_kinds(cls, rules: dict[str, AlertRule]) -> dict[str, AlertRule]:
        unknown = unknown_kinds(rules)
        if unknown:
            raise ValueError(f"alert rules for unknown event types: {', '.join(unknown)}")
        return rules

    @property
    def target_policy(self) -> TargetPolicy:
        return TargetPolicy(self.outbound_allow_loopback_targets, self.outbound_allow_private_targets)

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            base_seconds=self.outbound_retry_base_seconds,
            max_seconds=self.outbound_retry_max_seconds,
            window=timedelta(hours=self.outbound_retry_window_hours),
            disable_after=timedelta(days=self.outbound_disable_after_days),
        )

    @property
    def directory(self) -> Directory:
        return Directory(self.outbound_teams, self.outbound_people, self.outbound_stage_teams)

    @property
    def hubspot_on(self) -> bool:
        return bool(self.hubspot_access_token and self.outbound_hubspot_lists)

    @property
    def marketo_on(self) -> bool:
        configured = self.marketo_base_url and self.marketo_client_id and self.marketo_client_secret
        return bool(configured and self.outbound_marketo_lists)
