"""Lead routes: a person's route history (sales with an accept-by time, nurture, recycle), and
the owner's acceptance of a sales route."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from services.opportunity.app import routes
from services.opportunity.entrypoints.deps import UowDep
from services.opportunity.entrypoints.models import HandoffOut, RoutesOut
from shared.app import CallerDep

router = APIRouter(tags=["lead routes"])


async def _routes(uow: UowDep, contact_id: str) -> RoutesOut:
    found = [HandoffOut.model_validate(h.model_dump()) for h in await uow.handoffs.of_contact(contact_id)]
    current = next((h for h in reversed(found) if h.status in ("open", "accepted")), None)
    return RoutesOut(contact_id=contact_id, current=current, routes=found)


@router.get("/routes/{contact_id}")
async def get_routes(contact_id: str, uow: UowDep) -> RoutesOut:
    """Every route decision for the person, oldest first: who, why, which rule, which pool turn."""
    return await _routes(uow, contact_id)


@router.post("/routes/{contact_id}/accept")
async def accept_route(contact_id: str, uow: UowDep, caller: CallerDep) -> RoutesOut:
    """The person the MQL was routed to takes it; 409 when none waits or it is someone else's."""
    await routes.accept(uow, contact_id, actor=caller, now=datetime.now(UTC))
    await uow.commit()
    return await _routes(uow, contact_id)
