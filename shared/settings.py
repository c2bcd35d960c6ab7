"""Typed settings read from environment variables (and `.env`).

`Settings` holds what every service needs; each service extends it with its own knobs in
`services/<name>/settings.py`. `cascade settings` prints every variable of every service.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.keys import ApiKey, parse


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/cascade",
        description="PostgreSQL URL; each service uses its own schema in it.",
    )
    ingest_database_url: str | None = Field(None, description="ingest's own database, if not DATABASE_URL.")
    matcher_database_url: str | None = Field(None, description="matcher's own database, if not DATABASE_URL.")
    opportunity_database_url: str | None = Field(
        None, description="opportunity's own database, if not DATABASE_URL."
    )
    scoring_database_url: str | None = Field(None, description="scoring's own database, if not DATABASE_URL.")
    attribution_database_url: str | None = Field(
        None, description="attribution's own database, if not DATABASE_URL."
    )
    outbound_database_url: str | None = Field(
        None, description="outbound's own database, if not DATABASE_URL."
    )
    console_database_url: str | None = Field(None, description="console's own database, if not DATABASE_URL.")
    database_pool_size: int = Field(10, description="Connections per service process.")
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated."
    )
    kafka_topic_prefix: str = Field(
        "", description="Prefix for every topic name (to share one cluster between stacks)."
    )
    kafka_idempotent_producer: bool = Field(
        False, description="Enable the idempotent producer (Apache Kafka; Tansu lacks it)."
    )
    kafka_fetch_max_wait_ms: int = Field(
        500,
        description="How long a consumer's fetch waits for data. Apache Kafka answers as soon as data "
        "arrives; Tansu waits the full time, so the embedded stack sets 50.",
    )
    kafka_topic_partitions: int = Field(6, description="Partitions of topics Cascade creates.")
    kafka_replication_factor: int = Field(1, description="Replication of topics Cascade creates.")
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Bearer keys accepted on /v1: CSV or JSON list of `name:role=key` (role read, write,"
        " webhook-admin, console or admin; the key may be `sha256:<hex>`), or a JSON object name -> key;"
        " the name is the actor of what the key changes. A bare key is `api`, role admin.",
    )
    http_max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Request bodies over this get 413 (a webhook source has its own limit).",
    )
    http_max_large_body_bytes: int = Field(
        536_870_912, ge=1024, description="The limit of the routes that take bulk bodies (account import)."
    )
    consumer_max_attempts: int = Field(
        5, description="Attempts of a failing handler before the event is dead-lettered."
    )
    consumer_backoff_seconds: float = Field(0.2, description="First retry delay; doubles each attempt.")
    consumer_stall_seconds: float = Field(
        60.0, description="/readyz fails when a consumer with lag has not committed for this long."
    )
    outbox_batch_size: int = Field(200, description="Rows the relay publishes per batch.")
    outbox_poll_seconds: float = Field(
        0.5,
        description="Relay poll interval when idle; a commit in the same process wakes it at once.",
    )
    outbox_retention_hours: float = Field(
        72.0, description="Published outbox rows are kept this long for broker-loss replay."
    )
    retention_interval_seconds: float = Field(
        3600.0, ge=0, description="How often the retention job prunes what is past its window (0: never)."
    )
    inbox_retention_days: float = Field(
        30.0,
        gt=0,
        description="Processed-event ids kept for deduplication; longer than the outbox's replay window.",
    )
    dead_letter_retention_days: float = Field(
        90.0, gt=0, description="Dead letters not re-driven or discarded are deleted after this long."
    )
    outbox_check_seconds: float = Field(
        5.0, description="How often the relay checks the broker still holds what it published."
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        None, description="OTLP/HTTP endpoint; traces and metrics are exported when set."
    )
    otel_traces_sample_ratio: float = Field(
        0.1,
        ge=0,
        le=1,
        description=(
            "Share of new traces recorded and exported (a trace started upstream keeps its decision);"
            " nothing is recorded without an OTLP endpoint. OTEL_TRACES_SAMPLER, when set, wins."
        ),
    )
    otel_metrics_exporter: Literal["otlp", "none"] = Field(
        "otlp", description="`none` keeps metrics on /metrics only (Prometheus scrapes them)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="Log level, in any case."
    )
    log_json: bool = Field(False, description="Log as JSON lines instead of console text.")

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            if value.strip().startswith(("[", "{")):
                value = json.loads(value)
            else:
                return [key.strip() for key in value.split(",") if key.strip()]
        if isinstance(value, dict):
            return [f"{name}={key}" for name, key in value.items()]
        return value

    @field_validator("api_keys")
    @classmethod
    def _valid_keys(cls, entries: list[str]) -> list[str]:
        for entry in entries:  # two keys may share a name: a rotation
            parse(entry)
        return entries

    def keys(self) -> list[ApiKey]:
        return [parse(entry) for entry in self.api_keys]

    def database_url_for(self, service: str) -> str:
        """`<SERVICE>_DATABASE_URL` when set: no service reads another's tables, so any can move."""
        own: str | None = getattr(self, f"{service}_database_url", None)
        return own or self.database_url

    def topic(self, name: str) -> str:
        return f"{self.kafka_topic_prefix}{name}"
