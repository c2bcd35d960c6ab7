"""Ingest's settings: webhook secrets, limits and field maps, on the shared base."""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Annotated

import structlog
from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from services.ingest.domain.webhooks.signatures import unusable
from shared.settings import Settings

SOURCES = ("hubspot", "marketo", "mautic", "salesforce", "generic")
log = structlog.get_logger(__name__)
# Secrets files by path: (modification time, secrets) of the last copy that parsed.
_files: dict[Path, tuple[int, dict[str, list[str]]]] = {}


class IngestSettings(Settings):
    webhook_secrets: Annotated[dict[str, list[str]], NoDecode] = Field(
        default_factory=dict,
        description=(
            "JSON object: source -> secret or list of secrets valid at once (rotation). For salesforce,"
            " the organization id(s) to accept. Merged with WEBHOOK_SECRETS_FILE."
        ),
    )
    webhook_secrets_file: Path | None = Field(
        None,
        description="A JSON file of that shape; the embedded stack writes .cascade/webhook-secrets.json.",
    )
    webhook_max_body_bytes: int = Field(1_048_576, ge=1024, description="Larger bodies get 413.")
    webhook_max_in_flight: int = Field(
        64, ge=1, description="Webhook requests handled at once; more get 429 with Retry-After."
    )
    webhook_tolerance_seconds: int = Field(
        300, ge=1, description="Signed timestamps older (or newer) than this are refused."
    )
    webhook_public_url: str | None = Field(
        None,
        description="Scheme and host the senders call (https://cascade.example.com), for HubSpot's"
        " signature over the URI when a proxy rewrites the host.",
    )
    webhook_body_retention_days: float = Field(
        30.0, gt=0, description="Raw webhook bodies are emptied after this long (their answers stay)."
    )
    webhook_answer_retention_days: float = Field(
        90.0,
        gt=0,
        description="Delivery answers and item receipts (redelivery detection) are deleted after this long.",
    )
    quarantine_retention_days: float = Field(
        90.0, gt=0, description="Resolved quarantine items are deleted this long after resolution."
    )
    marketo_secret_header: str = Field("X-Cascade-Secret", description="Header carrying Marketo's secret.")
    marketo_field_map: Annotated[dict[str, str], NoDecode] | None = Field(
        None, description="JSON: template key -> Cascade field, for a template other than the default."
    )
    generic_field_map: Annotated[dict[str, str], NoDecode] | None = Field(
        None, description="JSON: dotted source path -> Cascade field, for the generic source."
    )
    salesforce_url_token: str | None = Field(
        None,
        description="Outbound Messages are unsigned and organization ids are not secret: when set, the"
        " endpoint URL must carry ?token=<this> (put it in the Outbound Message's endpoint URL).",
    )
    hubspot_access_token: str | None = Field(
        None, description="Private-app token to read a created contact from HubSpot's CRM API."
    )
    hubspot_api_base: str = Field("https://api.hubapi.com", description="HubSpot's API root.")
    hubspot_api_timeout_seconds: float = Field(3.0, gt=0)

    @field_validator("webhook_secrets", mode="before")
    @classmethod
    def _secrets(cls, value: object) -> object:
        if isinstance(value, str):
            value = json.loads(value) if value.strip() else {}
        return _secret_lists(value)

    @field_validator("marketo_field_map", "generic_field_map", mode="before")
    @classmethod
    def _json_map(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) and value.strip() else value or None

    @model_validator(mode="after")
    def _known_sources(self) -> IngestSettings:
        unknown = set(self.webhook_secrets) - set(SOURCES)
        if unknown:
            raise ValueError(f"webhook_secrets: unknown source(s) {sorted(unknown)}; sources are {SOURCES}")
        return self

    @model_validator(mode="after")
    def _say_what_is_refused(self) -> IngestSettings:
        for source in SOURCES:
            for reason in {unusable(source, s) for s in self._configured(source)} - {None}:
                log.warning("webhook.secret_refused", source=source, reason=reason)
        return self

    def secrets_for(self, source: str) -> list[str]:
        """The secrets valid now for a source, from settings and the secrets file (re-read when it
        changes); a placeholder is never one: the source is then refused."""
        return [secret for secret in self._configured(source) if unusable(source, secret) is None]

    def _configured(self, source: str) -> list[str]:
        merged = list(self.webhook_secrets.get(source, []))
        if self.webhook_secrets_file:
            from_file = _read_secrets_file(self.webhook_secrets_file)
            merged += [secret for secret in from_file.get(source, []) if secret not in merged]
        return merged


def _read_secrets_file(path: Path) -> dict[str, list[str]]:
    """The file's secrets; a half-written or broken file keeps the last good copy in use."""
    try:
        modified = path.stat().st_mtime_ns
    except OSError:
        return {}
    cached = _files.get(path)
    if cached and cached[0] == modified:
        return cached[1]
    try:
        secrets = _secret_lists(json.loads(path.read_text()))
    except (OSError, ValueError) as exc:
        log.warning("webhook.secrets_file_unreadable", path=str(path), error=str(exc))
        return cached[1] if cached else {}
    _files[path] = (modified, secrets)
    return secrets


def _secret_lists(value: object) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise ValueError("webhook secrets must be a JSON object of source -> secret(s)")
    lists = {}
    for source, secrets in value.items():
        listed = [secrets] if isinstance(secrets, str) else secrets
        if not isinstance(listed, list) or not all(isinstance(s, str) and s for s in listed):
            raise ValueError(f"webhook secrets for {source!r} must be a string or a list of strings")
        if source == "generic":
            for secret in listed:
                _check_standard_webhooks_secret(secret)
        lists[str(source)] = listed
    return lists


def _check_standard_webhooks_secret(secret: str) -> None:
    if secret.startswith("whsec_"):
        try:
            base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except binascii.Error as exc:
            raise ValueError("a generic secret starting with whsec_ must be base64 after the prefix") from exc
