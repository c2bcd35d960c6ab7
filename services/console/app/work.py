"""The people's queues: review items to resolve, quarantined webhook items to fix; a lead's fate."""

from __future__ import annotations

import json
from typing import Any

from services.console.app.ports import Refused, Services, Unreachable
from shared.errors import Invalid

REVIEW_FILTERS = ("status", "overdue", "country", "reason", "account_id")


async def review_queue(
    services: Services, actor: str, filters: dict[str, str], limit: int, offset: int
) -> list[Any]:
    params = {k: v for k, v in filters.items() if k in REVIEW_FILTERS and v}
    items: list[Any] = await services.call(
        "matcher", "GET", "/v1/review-queue", actor=actor, params={**params, "limit": limit, "offset": offset}
    )
    return items


async def resolve(
    services: Services,
    actor: str,
    item_id: str,
    *,
    action: str,
    account_id: str = "",
    account_name: str = "",
    reason: str = "",
) -> dict[str, Any]:
    body = {
        "action": action,
        "account_id": account_id or None,
        "account_name": account_name or None,
        "reason": reason or None,
    }
    resolved: dict[str, Any] = await services.call(
        "matcher", "POST", f"/v1/review-queue/{item_id}/resolve", actor=actor, json=body
    )
    return resolved


async def lead(services: Services, actor: str, lead_id: str) -> dict[str, Any]:
    """The lead as ingest holds it, what the matcher decided, its score if scoring has one, and the
    routes of its contact (who it was handed to, by which rule) if it converted."""
    found = await services.call("ingest", "GET", f"/v1/leads/{lead_id}", actor=actor)
    match = await services.call("matcher", "GET", f"/v1/leads/{lead_id}/match", actor=actor)
    try:
        score = await services.call("scoring", "GET", f"/v1/scores/{lead_id}", actor=actor)
    except (Refused, Unreachable):
        score = None
    routes, routes_missing = None, None
    if match.get("contact_id"):
        try:
            routes = await services.call(
                "opportunity", "GET", f"/v1/routes/{match['contact_id']}", actor=actor
            )
        except (Refused, Unreachable) as missing:
            routes_missing = missing.detail
    return {"lead": found, "match": match, "score": score, "routes": routes, "routes_missing": routes_missing}


async def accept_route(services: Services, actor: str, contact_id: str) -> dict[str, Any]:
    """The signed-in person takes the MQL routed to them; the service refuses anyone else."""
    accepted: dict[str, Any] = await services.call(
        "opportunity", "POST", f"/v1/routes/{contact_id}/accept", actor=actor
    )
    return accepted


async def quarantine(services: Services, actor: str, source: str, status: str, limit: int) -> list[Any]:
    params = {"status": status or "open", "limit": limit, **({"source": source} if source else {})}
    items: list[Any] = await services.call("ingest", "GET", "/v1/quarantine", actor=actor, params=params)
    return items


async def resubmit(services: Services, actor: str, quarantine_id: str, payload_text: str) -> list[Any]:
    """Resubmit the item as edited (JSON in the source's own shape)."""
    try:
        payload = json.loads(payload_text)
    except json.JSONDecodeError as bad:
        raise Invalid(
            f"The item is not valid JSON: {bad.msg} (line {bad.lineno}).", field="payload"
        ) from None
    if not isinstance(payload, dict):
        raise Invalid("The item must be a JSON object.", field="payload")
    outcomes: list[Any] = await services.call(
        "ingest", "POST", f"/v1/quarantine/{quarantine_id}/resubmit", actor=actor, json={"payload": payload}
    )
    return outcomes


async def discard(services: Services, actor: str, quarantine_id: str) -> None:
    await services.call("ingest", "DELETE", f"/v1/quarantine/{quarantine_id}", actor=actor)
