"""Watching the platform for what needs a person: records dead-lettered by any service (read from
the `<topic>.dlq` topics, offsets kept here), a service whose consumer stalled (its /readyz), and
a service that did not answer two probes in a row (one miss is a restart, which the supervisor
handles)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from services.outbound.app.alerts import raise_alert
from services.outbound.app.uow import OutboundUnitOfWork
from services.outbound.settings import OutboundSettings


class DeadLetters(Protocol):
    async def read(self, offsets: dict[str, int]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """Dead letters after `offsets` ("topic:partition" -> next offset), each as its headers
        say (consumer, event_type, topic, error, event_id, attempts), and the offsets after them."""
        ...


@dataclass(frozen=True)
class Health:
    state: Literal["ok", "stalled", "unreachable"]
    why: str | None = None


class Readiness(Protocol):
    async def health(self, base_url: str) -> Health:
        """`stalled` with why when its consumer says so, `unreachable` when it does not answer,
        else `ok` (not ready for another reason is what the service's own checks report)."""
        ...


async def watch_dead_letters(
    uows: Callable[[], OutboundUnitOfWork], settings: OutboundSettings, source: DeadLetters
) -> int:
    """Alert every dead letter once: the alerts and the offsets read commit together."""
    async with uows() as uow:
        offsets = await uow.watch.get("dead_letters")
        letters, after = await source.read({k: int(v) for k, v in offsets.items()})
        now = datetime.now(UTC)
        for letter in letters:
            await raise_alert(uow, settings, "platform.dead_letter", letter, now)
        await uow.watch.put("dead_letters", dict(after))
        await uow.commit()
    return len(letters)


async def watch_consumers(
    uows: Callable[[], OutboundUnitOfWork], settings: OutboundSettings, probe: Readiness
) -> int:
    """Alert when a watched service's consumer becomes stalled, or the service stops answering
    (its second miss in a row): once per stall, once per outage."""
    watched = settings.outbound_watch_services
    # All at once: a service that hangs costs its timeout once, not once per service after it.
    answers = await asyncio.gather(*(probe.health(url) for url in watched.values()))
    found = dict(zip(watched, answers, strict=True))
    raised = 0
    async with uows() as uow:
        before = await uow.watch.get("health")
        now = datetime.now(UTC)
        states: dict[str, str] = {}
        for name, health in found.items():
            states[name] = _next_state(before.get(name), health.state)
            kind = ALERTS.get((before.get(name), states[name]))
            if kind is not None:
                url = settings.outbound_watch_services[name]
                data = {"service": name, "url": url, "error": health.why}
                raised += await raise_alert(uow, settings, kind, data, now)
        await uow.watch.put("health", states)
        await uow.commit()
    return raised


def _next_state(before: str | None, now: str) -> str:
    if now == "unreachable" and before not in ("missed", "unreachable"):
        return "missed"  # once: maybe a restart
    return now


# (state before, state now) -> the alert it raises.
ALERTS: dict[tuple[str | None, str], str] = {
    **{(before, "stalled"): "platform.consumer_stalled" for before in (None, "ok", "missed", "unreachable")},
    ("missed", "unreachable"): "platform.service_unreachable",
}
