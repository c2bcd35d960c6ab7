"""Operations: the services' health, routing pools and reps, subscriptions and their deliveries,
alerts, and each service's dead letters with retry and discard."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from services.console.app import operations
from services.console.entrypoints.deps import ServicesDep, SettingsDep, UowDep
from services.console.entrypoints.web import ViewerDep, WriterDep, act, page
from shared.errors import Invalid

router = APIRouter(include_in_schema=False)
Line = Annotated[str, Form(max_length=2000)]
BACK = "/operations"
Service = Annotated[str, Path(pattern=f"^({'|'.join(operations.WATCHED)})$")]
LetterId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _words(value: str) -> list[str]:
    return [w.strip() for w in value.replace("\n", ",").split(",") if w.strip()]


@router.get("/operations")
async def overview(
    request: Request, uow: UowDep, viewer: ViewerDep, services: ServicesDep, settings: SettingsDep
) -> Response:
    newest = {"limit": settings.console_page_size}

    async def built() -> dict[str, Any]:
        health, pools, reps, subscriptions, alerts, letters = await asyncio.gather(
            operations.health(services),
            operations.part(services, viewer.actor, "matcher", "/v1/pools"),
            operations.part(services, viewer.actor, "matcher", "/v1/reps"),
            operations.part(services, viewer.actor, "outbound", "/v1/subscriptions"),
            operations.part(services, viewer.actor, "outbound", "/v1/alerts", newest),
            operations.dead_letters(services, viewer.actor, settings.console_page_size),
        )
        return {
            "health": health,
            "pools": pools,
            "reps": reps,
            "subscriptions": subscriptions,
            "alerts": alerts,
            "dead_letters": letters,
            "shown": settings.console_page_size,
        }

    return await page(request, viewer, uow, "operations.html", built)


@router.get("/operations/subscriptions/{subscription_id}")
async def deliveries(
    request: Request, subscription_id: str, uow: UowDep, viewer: ViewerDep, services: ServicesDep
) -> Response:
    async def built() -> dict[str, Any]:
        found, missing = await operations.part(
            services, viewer.actor, "outbound", f"/v1/subscriptions/{subscription_id}/deliveries"
        )
        return {"deliveries": found, "missing": missing}

    return await page(request, viewer, uow, "deliveries.html", built, subscription_id=subscription_id)


@router.post("/operations/reps")
async def save_rep(
    request: Request,
    uow: UowDep,
    viewer: WriterDep,
    services: ServicesDep,
    rep_id: Annotated[str, Form(min_length=1, max_length=255)],
    name: Line,
    team: Annotated[str, Form(pattern="^(marketing|sdr|sales|customer_success)$")],
    countries: Line = "",
    active: Annotated[bool, Form()] = False,
) -> Response:
    async def done() -> str:
        body = {"name": name, "team": team, "countries": _words(countries), "active": active}
        await operations.save_rep(services, viewer.actor, rep_id, body)
        return f"Rep {rep_id} saved ({'available' if active else 'unavailable'})."

    return await act(request, viewer, uow, "operations", BACK, done)


@router.post("/operations/pools")
async def save_pool(
    request: Request,
    uow: UowDep,
    viewer: WriterDep,
    services: ServicesDep,
    pool_id: Annotated[str, Form(min_length=1, max_length=255)],
    team: Annotated[str, Form(pattern="^(marketing|sdr|sales|customer_success)$")],
    countries: Line = "",
    members: Line = "",
) -> Response:
    async def done() -> str:
        weighted = []
        for entry in _words(members):
            rep_id, _, weight = entry.partition(":")
            try:
                weighted.append({"rep_id": rep_id.strip(), "weight": float(weight or 1)})
            except ValueError:
                raise Invalid(
                    f"Weight of {rep_id} is not a number: write rep:weight.", field="members"
                ) from None
        body = {"team": team, "countries": _words(countries), "members": weighted}
        await operations.save_pool(services, viewer.actor, pool_id, body)
        return f"Pool {pool_id} saved with {len(weighted)} member(s)."

    return await act(request, viewer, uow, "operations", BACK, done)


@router.post("/operations/subscriptions")
async def subscribe(
    request: Request, uow: UowDep, viewer: WriterDep, services: ServicesDep, url: Line, events: Line
) -> Response:
    async def done() -> str:
        created = await operations.subscribe(services, viewer.actor, url, _words(events))
        secret = created.get("secret", "")
        return f"Subscription {created['subscription_id']} created. Its signing secret, shown once: {secret}"

    return await act(request, viewer, uow, "operations", BACK, done)


@router.post("/operations/dead-letters/{service}/{letter_id}/retry")
async def retry_dead_letter(
    request: Request,
    service: Service,
    letter_id: LetterId,
    uow: UowDep,
    viewer: WriterDep,
    services: ServicesDep,
) -> Response:
    async def done() -> str:
        return await operations.retry(services, viewer.actor, service, letter_id)

    return await act(request, viewer, uow, "dead-letters", BACK, done)


@router.post("/operations/dead-letters/{service}/{letter_id}/discard")
async def discard_dead_letter(
    request: Request,
    service: Service,
    letter_id: LetterId,
    uow: UowDep,
    viewer: WriterDep,
    services: ServicesDep,
) -> Response:
    async def done() -> str:
        return await operations.discard(services, viewer.actor, service, letter_id)

    return await act(request, viewer, uow, "dead-letters", BACK, done)
