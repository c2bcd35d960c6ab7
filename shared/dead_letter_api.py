"""Every service's `/v1/dead-letters`: the letters listed, and each one retried through the
service's own consumers or discarded, as `cascade dead-letters` does (`shared.dead_letters`)."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from shared.app import CallerDep, RuntimeDep, right
from shared.dead_letters import DONE, Letter
from shared.errors import Conflict, NotFound

log = structlog.get_logger(__name__)
router = APIRouter(tags=["dead letters"])
# The console's key holds this right too, as it holds webhook-admin: it acts for its admins.
ADMIN = right("dead-letters")
LetterId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class Dealt(BaseModel):
    id: int
    outcome: str = Field(description="processed, duplicate, requeued or discarded")


@router.get("/dead-letters")
async def list_dead_letters(
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[Letter]:
    """The events this service failed to handle (or, `outbox-relay`, to publish), newest first,
    each with its error and attempts. The record itself stays server-side: it may hold a person."""
    return await runtime.letters.page(limit=limit, offset=offset)


@router.post("/dead-letters/{letter_id}/retry", openapi_extra=ADMIN)
async def retry_dead_letter(letter_id: LetterId, runtime: RuntimeDep, caller: CallerDep) -> Dealt:
    """Process the letter again through the inbox with the service's handlers (`duplicate`: it had
    been meanwhile), or queue an outbox relay's letter again (`requeued`); then it is deleted.
    One that fails again is kept with the new error: 409."""
    outcome = (await runtime.letters.retry([letter_id])).get(letter_id)
    if outcome is None:
        raise NotFound(f"No dead letter {letter_id} in {runtime.name}.")
    log.info("dead_letter.retried", service=runtime.name, letter_id=letter_id, outcome=outcome, actor=caller)
    if outcome not in DONE:
        raise Conflict(f"Dead letter {letter_id} {outcome}; it is kept with this error.")
    return Dealt(id=letter_id, outcome=outcome)


@router.post("/dead-letters/{letter_id}/discard", openapi_extra=ADMIN)
async def discard_dead_letter(letter_id: LetterId, runtime: RuntimeDep, caller: CallerDep) -> Dealt:
    """Delete the letter (its copy on `<topic>.dlq` stays)."""
    if not await runtime.letters.discard([letter_id]):
        raise NotFound(f"No dead letter {letter_id} in {runtime.name}.")
    log.info("dead_letter.discarded", service=runtime.name, letter_id=letter_id, actor=caller)
    return Dealt(id=letter_id, outcome="discarded")
