"""Scheduled jobs: work a service does on a clock, beside its consumer and outbox relay."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

UowFactory = Callable[[], Any]


@dataclass(frozen=True)
class Job:
    """Work the service does on a clock, beside its consumer: `run(uow_factory, settings)` every
    `every(settings)` seconds (0 switches it off). Replicas each run it: a job shares its work
    through the database (SKIP LOCKED), never by electing one runner."""

    name: str
    every: Callable[[Any], float]
    run: Callable[[UowFactory, Any], Awaitable[object]]
