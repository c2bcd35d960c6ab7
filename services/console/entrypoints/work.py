"""Pages of the queues: the review queue, a lead, quarantined webhook items."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.console.app import work
from services.console.domain.handshakes import handshake
from services.console.entrypoints.deps import ServicesDep, SettingsDep, UowDep
from services.console.entrypoints.web import ViewerDep, WriterDep, act, page, page_number, safe_back

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=1000)]


@router.get("/review-queue")
async def review_queue(
    request: Request, uow: UowDep, viewer: ViewerDep, services: ServicesDep, settings: SettingsDep
) -> Response:
    number, size = page_number(request), settings.console_page_size
    filters = {k: v for k, v in request.query_params.items() if k in work.REVIEW_FILTERS}

    async def build() -> dict[str, Any]:
        items = await work.review_queue(services, viewer.actor, filters, size + 1, (number - 1) * size)
        return {"items": items[:size], "more": len(items) > size}

    return await page(request, viewer, uow, "review.html", build, page_number=number, filters=filters)


@router.post("/review-queue/{item_id}/resolve")
async def resolve(
    request: Request,
    item_id: str,
    uow: UowDep,
    viewer: WriterDep,
    services: ServicesDep,
    action: Annotated[str, Form(pattern="^(pick|create|reject)$")],
    account_id: Text = "",
    account_name: Text = "",
    reason: Text = "",
    back: Text = "/review-queue",
) -> Response:
    async def resolved() -> str:
        item = await work.resolve(
            services,
            viewer.actor,
            item_id,
            action=action,
            account_id=account_id,
            account_name=account_name,
            reason=reason,
        )
        if item["status"] == "rejected":
            return f"Lead {item['email']} rejected."
        return f"Lead {item['email']} converted to account {item['account_id']}. [lead:{item['lead_id']}]"

    return await act(request, viewer, uow, "review", safe_back(back, "/review-queue"), resolved)


@router.get("/leads/{lead_id}")
async def lead(
    request: Request, lead_id: str, uow: UowDep, viewer: ViewerDep, services: ServicesDep
) -> Response:
    async def build() -> dict[str, Any]:
        found = await work.lead(services, viewer.actor, lead_id)
        routes = (found["routes"] or {}).get("routes", [])
        found["route"] = handshake(routes, datetime.now(UTC))
        return found

    return await page(request, viewer, uow, "lead.html", build, lead_id=lead_id)


@router.post("/leads/{lead_id}/route/accept")
async def accept_route(
    request: Request,
    lead_id: str,
    uow: UowDep,
    viewer: WriterDep,
    services: ServicesDep,
    contact_id: Annotated[str, Form(min_length=1, max_length=255)],
) -> Response:
    async def accepted() -> str:
        await work.accept_route(services, viewer.actor, contact_id)
        return "You accepted the lead's route: it is yours to work."

    return await act(request, viewer, uow, "accept", f"/leads/{quote(lead_id, safe='')}", accepted)


@router.get("/quarantine")
async def quarantine(
    request: Request, uow: UowDep, viewer: ViewerDep, services: ServicesDep, settings: SettingsDep
) -> Response:
    source = request.query_params.get("source", "")
    status = request.query_params.get("status", "open")

    async def build() -> dict[str, Any]:
        return {"items": await work.quarantine(services, viewer.actor, source, status, 100)}

    return await page(request, viewer, uow, "quarantine.html", build, source=source, status=status)


@router.post("/quarantine/{quarantine_id}/resubmit")
async def resubmit(
    request: Request,
    quarantine_id: str,
    uow: UowDep,
    viewer: WriterDep,
    services: ServicesDep,
    payload: Annotated[str, Form(max_length=500_000)],
    back: Text = "/quarantine",
) -> Response:
    async def resubmitted() -> str:
        outcomes = await work.resubmit(services, viewer.actor, quarantine_id, payload)
        told = ", ".join(f"{o['outcome']} ({o.get('status') or o.get('reason') or ''})" for o in outcomes)
        leads = " ".join(f"[lead:{o['lead_id']}]" for o in outcomes if o.get("lead_id"))
        return f"Resubmitted: {told}. {leads}".strip()

    return await act(request, viewer, uow, "quarantine", safe_back(back, "/quarantine"), resubmitted)


@router.post("/quarantine/{quarantine_id}/discard")
async def discard(
    request: Request,
    quarantine_id: str,
    uow: UowDep,
    viewer: WriterDep,
    services: ServicesDep,
    back: Text = "/quarantine",
) -> Response:
    async def discarded() -> str:
        await work.discard(services, viewer.actor, quarantine_id)
        return "Item discarded."

    return await act(request, viewer, uow, "quarantine", safe_back(back, "/quarantine"), discarded)
