"""Opportunities as people work them: the board per type, one opp with its buying group, an account."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from services.console.app.ports import Refused, Services, Unreachable
from services.console.domain.board import Column, StageDef, board, stage_defs
from services.console.domain.handshakes import late_card


async def pipelines(services: Services, actor: str) -> dict[str, Any]:
    found: dict[str, Any] = await services.call(
        "opportunity", "GET", "/v1/pipelines", actor=actor, cached=True
    )
    return found


async def board_page(
    services: Services, actor: str, opp_type: str, page_size: int, now: datetime
) -> tuple[list[Column], dict[str, Any]]:
    """The columns of `opp_type`'s open stages with their first cards, and the funnel's totals.
    The counts and every column's cards are asked for at once (an empty stage answers at once)."""
    defined = await pipelines(services, actor)
    stages = stage_defs(defined["pipelines"].get(opp_type, []))

    async def cards(stage: StageDef) -> list[Any]:
        params = {"type": opp_type, "stage": stage.name, "open": "true", "limit": page_size}
        found: list[Any] = await services.call(
            "opportunity", "GET", "/v1/opportunities", actor=actor, params=params
        )
        return found

    open_stages = [s for s in stages if not s.closed]
    funnel, *found = await asyncio.gather(
        services.call("opportunity", "GET", "/v1/reports/funnel", actor=actor, params={"type": opp_type}),
        *(cards(s) for s in open_stages),
    )
    counts = {s["stage"]: s["current"] for s in funnel["stages"]}
    by_stage = {s.name: opps for s, opps in zip(open_stages, found, strict=True)}
    late = {o["opp_id"]: badge for opps in found for o in opps if (badge := late_card(o, now))}
    return board(stages, counts, by_stage, defined["committee"], now, late), funnel


async def opp_list(
    services: Services, actor: str, params: dict[str, Any], limit: int, offset: int
) -> list[Any]:
    found: list[Any] = await services.call(
        "opportunity",
        "GET",
        "/v1/opportunities",
        actor=actor,
        params={**params, "limit": limit, "offset": offset},
    )
    return found


async def _optional(services: Services, service: str, path: str, actor: str) -> tuple[Any, str | None]:
    """What a service answers, or None and the reason a page shows in its place."""
    try:
        return await services.call(service, "GET", path, actor=actor), None
    except (Unreachable, Refused) as missing:
        return None, missing.detail


async def opp_page(services: Services, actor: str, opp_id: str) -> dict[str, Any]:
    opp = await services.call("opportunity", "GET", f"/v1/opportunities/{opp_id}", actor=actor)
    defined = await pipelines(services, actor)
    ids = ",".join(m["contact_id"] for m in opp["contact_roles"])
    contacts = (
        await services.call("opportunity", "GET", "/v1/contacts", actor=actor, params={"ids": ids})
        if ids
        else []
    )
    account, _ = await _optional(services, "matcher", f"/v1/accounts/{opp['account_id']}", actor)
    engagement, engagement_missing = await _optional(
        services, "scoring", f"/v1/opportunities/{opp_id}/buying-group-engagement", actor
    )
    touches, touches_missing = await _optional(
        services, "attribution", f"/v1/opportunities/{opp_id}/touches", actor
    )
    return {
        "opp": opp,
        "stages": stage_defs(defined["pipelines"].get(opp["type"], [])),
        "committee": defined["committee"],
        "roles": defined["roles"],
        "contacts": {c["contact_id"]: c for c in contacts},
        "account": account,
        "engagement": {
            m["contact_id"]: m
            for m in (engagement or {}).get("members", []) + (engagement or {}).get("potential", [])
        },
        "engagement_missing": engagement_missing,
        "touches": touches,
        "touches_missing": touches_missing,
    }


async def set_role(services: Services, actor: str, opp_id: str, contact_id: str, role: str) -> None:
    body = {"contact_id": contact_id, "role": role}
    await services.call(
        "opportunity", "POST", f"/v1/opportunities/{opp_id}/contact-roles", actor=actor, json=body
    )


async def member_action(services: Services, actor: str, opp_id: str, contact_id: str, action: str) -> None:
    path = f"/v1/opportunities/{opp_id}/contact-roles/{contact_id}"
    if action == "remove":
        await services.call("opportunity", "DELETE", path, actor=actor)
    else:
        await services.call("opportunity", "POST", f"{path}/{action}", actor=actor)


async def accept(services: Services, actor: str, opp_id: str) -> dict[str, Any]:
    """The signed-in person takes the opp's handoff; the service refuses anyone but its owner."""
    accepted: dict[str, Any] = await services.call(
        "opportunity", "POST", f"/v1/opportunities/{opp_id}/accept", actor=actor
    )
    return accepted


async def move(services: Services, actor: str, opp_id: str, stage: str) -> dict[str, Any]:
    moved: dict[str, Any] = await services.call(
        "opportunity", "POST", f"/v1/opportunities/{opp_id}/stage", actor=actor, json={"stage": stage}
    )
    return moved


async def account_page(services: Services, actor: str, account_id: str) -> dict[str, Any]:
    account = await services.call("matcher", "GET", f"/v1/accounts/{account_id}", actor=actor)
    opps = await services.call(
        "opportunity", "GET", "/v1/opportunities", actor=actor, params={"account_id": account_id}
    )
    contacts = await services.call(
        "opportunity", "GET", "/v1/contacts", actor=actor, params={"account_id": account_id}
    )
    engagement, missing = await _optional(
        services, "scoring", f"/v1/accounts/{account_id}/buying-group-engagement", actor
    )
    return {
        "account": account,
        "opps": opps,
        "contacts": contacts,
        "engagement": engagement,
        "engagement_missing": missing,
    }
