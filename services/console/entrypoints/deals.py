"""Pages of opportunities: the board per type, a stage's list, one opp with its buying group, accounts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.console.app import deals
from services.console.domain.board import coverage, gate_status
from services.console.domain.handshakes import handshake
from services.console.domain.text import label
from services.console.entrypoints.deps import ServicesDep, SettingsDep, UowDep
from services.console.entrypoints.web import ViewerDep, WriterDep, act, page, page_number

router = APIRouter(include_in_schema=False)
TYPES = ("acquisition", "renewal", "upsell", "cross_sell")
Name = Annotated[str, Form(min_length=1, max_length=100)]


def _type(request: Request) -> str:
    chosen = request.query_params.get("type", "acquisition")
    return chosen if chosen in TYPES else "acquisition"


@router.get("/opportunities")
async def board(
    request: Request, uow: UowDep, viewer: ViewerDep, services: ServicesDep, settings: SettingsDep
) -> Response:
    opp_type, stage = _type(request), request.query_params.get("stage", "")
    owner = request.query_params.get("owner", "")
    size = settings.console_page_size
    if stage or owner:
        number = page_number(request)

        async def listed() -> dict[str, Any]:
            params = {
                "type": opp_type,
                "open": "true",
                **({"stage": stage} if stage else {}),
                **({"owner": owner} if owner else {}),
            }
            opps = await deals.opp_list(services, viewer.actor, params, size + 1, (number - 1) * size)
            return {"opps": opps[:size], "more": len(opps) > size}

        return await page(
            request,
            viewer,
            uow,
            "opp_list.html",
            listed,
            types=TYPES,
            opp_type=opp_type,
            stage=stage,
            owner=owner,
            page_number=number,
        )

    async def built() -> dict[str, Any]:
        columns, funnel = await deals.board_page(services, viewer.actor, opp_type, size, datetime.now(UTC))
        return {"columns": columns, "funnel": funnel}

    return await page(request, viewer, uow, "board.html", built, types=TYPES, opp_type=opp_type)


@router.get("/opportunities/{opp_id}")
async def opportunity(
    request: Request, opp_id: str, uow: UowDep, viewer: ViewerDep, services: ServicesDep
) -> Response:
    async def built() -> dict[str, Any]:
        found = await deals.opp_page(services, viewer.actor, opp_id)
        found["gate"] = gate_status(found["opp"], found["stages"], found["committee"])
        found["coverage"] = coverage(found["opp"], found["committee"])
        found["handshake"] = handshake(found["opp"].get("handoffs", []), datetime.now(UTC))
        return found

    return await page(request, viewer, uow, "opp.html", built, opp_id=opp_id)


@router.post("/opportunities/{opp_id}/members")
async def set_role(
    request: Request,
    opp_id: str,
    uow: UowDep,
    viewer: WriterDep,
    services: ServicesDep,
    contact_id: Annotated[str, Form(min_length=1, max_length=255)],
    role: Name,
    person: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    async def confirmed() -> str:
        await deals.set_role(services, viewer.actor, opp_id, contact_id, role)
        return f"{person or contact_id} confirmed as {role.replace('_', ' ')}."

    return await act(request, viewer, uow, "opportunities", f"/opportunities/{opp_id}", confirmed)


@router.post("/opportunities/{opp_id}/members/{contact_id}/{action}")
async def member_action(
    request: Request,
    opp_id: str,
    contact_id: str,
    action: str,
    uow: UowDep,
    viewer: WriterDep,
    services: ServicesDep,
) -> Response:
    if action not in ("remove", "unconfirm", "primary"):
        return RedirectResponse(f"/opportunities/{opp_id}", status_code=303)

    async def done() -> str:
        await deals.member_action(services, viewer.actor, opp_id, contact_id, action)
        return {
            "remove": f"{contact_id} removed from the buying group.",
            "unconfirm": f"{contact_id} is potential again.",
            "primary": f"{contact_id} is the primary contact.",
        }[action]

    return await act(request, viewer, uow, "opportunities", f"/opportunities/{opp_id}", done)


@router.post("/opportunities/{opp_id}/stage")
async def move(
    request: Request, opp_id: str, uow: UowDep, viewer: WriterDep, services: ServicesDep, stage: Name
) -> Response:
    async def moved() -> str:
        result = await deals.move(services, viewer.actor, opp_id, stage)
        skipped = f" (through {', '.join(result['skipped'])})" if result.get("skipped") else ""
        return f"Moved from {result['from_stage']} to {result['to_stage']}{skipped}."

    return await act(request, viewer, uow, "opportunities", f"/opportunities/{opp_id}", moved)


@router.post("/opportunities/{opp_id}/accept")
async def accept(
    request: Request, opp_id: str, uow: UowDep, viewer: WriterDep, services: ServicesDep
) -> Response:
    async def accepted() -> str:
        opp = await deals.accept(services, viewer.actor, opp_id)
        return f"You accepted the handoff: {label(opp['stage'])} is yours."

    return await act(request, viewer, uow, "accept", f"/opportunities/{opp_id}#handshake", accepted)


@router.get("/accounts")
async def accounts(request: Request, uow: UowDep, viewer: ViewerDep) -> Response:
    account_id = request.query_params.get("account_id", "").strip()
    if account_id:
        return RedirectResponse(f"/accounts/{account_id}", status_code=303)

    async def nothing() -> dict[str, Any]:
        return {}

    return await page(request, viewer, uow, "accounts.html", nothing)


@router.get("/accounts/{account_id}")
async def account(
    request: Request, account_id: str, uow: UowDep, viewer: ViewerDep, services: ServicesDep
) -> Response:
    async def built() -> dict[str, Any]:
        return await deals.account_page(services, viewer.actor, account_id)

    return await page(request, viewer, uow, "account.html", built, account_id=account_id)
