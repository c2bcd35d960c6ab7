"""Operations: the services' health, routing pools and reps (matcher), subscriptions and their
deliveries, alerts (outbound), every service's dead letters. Each part stands alone: a service
that is away is said so, plainly."""

from __future__ import annotations

import asyncio
from typing import Any

from services.console.app.ports import Refused, Services, Unreachable

WATCHED = ("ingest", "matcher", "opportunity", "scoring", "attribution", "outbound")


async def health(services: Services) -> dict[str, dict[str, Any]]:
    found = await asyncio.gather(*(services.ready(name) for name in WATCHED))
    return dict(zip(WATCHED, found, strict=True))


async def part(
    services: Services, actor: str, service: str, path: str, params: dict[str, Any] | None = None
) -> tuple[Any, str | None]:
    """A list a service offers, or why it is not there (not deployed, not reachable, refused)."""
    try:
        return await services.call(service, "GET", path, actor=actor, params=params), None
    except Unreachable as away:
        return None, away.detail
    except Refused as refused:
        if refused.status == 404:
            return None, f"The {service} service running does not offer {path} yet."
        return None, refused.detail


async def save_rep(services: Services, actor: str, rep_id: str, body: dict[str, Any]) -> None:
    await _save(services, actor, f"/v1/reps/{rep_id}", body)


async def save_pool(services: Services, actor: str, pool_id: str, body: dict[str, Any]) -> None:
    await _save(services, actor, f"/v1/pools/{pool_id}", body)


async def _save(services: Services, actor: str, path: str, body: dict[str, Any]) -> None:
    """Only the form's fields change (a rep's working hours or absence, set through the API,
    stay); one not there yet is created."""
    try:
        await services.call("matcher", "PATCH", path, actor=actor, json=body)
    except Refused as refused:
        if refused.status != 404:
            raise
        await services.call("matcher", "PUT", path, actor=actor, json=body)


async def subscribe(services: Services, actor: str, url: str, events: list[str]) -> dict[str, Any]:
    created: dict[str, Any] = await services.call(
        "outbound", "POST", "/v1/subscriptions", actor=actor, json={"url": url, "events": events}
    )
    return created


async def dead_letters(services: Services, actor: str, limit: int) -> dict[str, tuple[Any, str | None]]:
    """Each service's newest dead letters, or why they are not there."""
    found = await asyncio.gather(
        *(part(services, actor, name, "/v1/dead-letters", {"limit": limit}) for name in WATCHED)
    )
    return dict(zip(WATCHED, found, strict=True))


RETRIED = {
    "processed": "processed again",
    "duplicate": "had been processed meanwhile: nothing was done twice",
    "requeued": "queued for publishing again",
}


async def retry(services: Services, actor: str, service: str, letter_id: int) -> str:
    """How the retry went, in words; a letter that fails again is a `Refused` (409) with its error."""
    done = await services.call(service, "POST", f"/v1/dead-letters/{letter_id}/retry", actor=actor)
    outcome = str(done.get("outcome", "")) if isinstance(done, dict) else ""
    return f"Dead letter {letter_id} of {service}: {RETRIED.get(outcome, outcome or 'retried')}."


async def discard(services: Services, actor: str, service: str, letter_id: int) -> str:
    await services.call(service, "POST", f"/v1/dead-letters/{letter_id}/discard", actor=actor)
    return f"Dead letter {letter_id} of {service} discarded."
