"""Opportunity routes: create, read, update, list; stage moves and handoffs; the scans on demand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from services.opportunity.app import escalation, handoffs, opportunities, sla
from services.opportunity.app.models import OppFilter
from services.opportunity.entrypoints.deps import SettingsDep, UowDep, UowsDep
from services.opportunity.entrypoints.models import (
    OpportunityIn,
    OpportunityOut,
    OpportunityPatch,
    OppTypeIn,
    StageMoveIn,
    StageMoveResult,
)
from services.opportunity.entrypoints.views import described, one
from shared.app import CallerDep, right

router = APIRouter(tags=["opportunity"])
FIELDS = ("amount", "close_date", "term_months", "owner", "next_step", "next_step_owner", "next_step_due")


@router.get("/opportunities")
async def list_opportunities(
    uow: UowDep,
    settings: SettingsDep,
    account_id: Annotated[str | None, Query(max_length=255)] = None,
    type: OppTypeIn | None = None,
    stage: Annotated[str | None, Query(max_length=100)] = None,
    owner: Annotated[str | None, Query(max_length=255)] = None,
    is_open: Annotated[bool | None, Query(alias="open")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[OpportunityOut]:
    where = OppFilter(account_id, type, stage, owner, is_open, limit, offset)
    return await described(uow, settings, await uow.opps.find(where))


@router.post("/opportunities", status_code=201)
async def create_opportunity(
    body: OpportunityIn, uow: UowDep, settings: SettingsDep, caller: CallerDep
) -> OpportunityOut:
    """From an account, or from a contact: the first member of its buying group (confirmed with
    `role`, potential without one). The caller is `created_by`."""
    opp = await opportunities.create(
        uow,
        settings,
        account_id=body.account_id,
        contact_id=body.contact_id,
        opp_type=body.type,
        role=body.role,
        actor=caller,
        fields=body.model_dump(include=set(FIELDS)),
        buying_group_key=body.buying_group_key,
    )
    await uow.commit()
    return await one(uow, settings, opp.opp_id)


@router.get("/opportunities/{opp_id}")
async def get_opportunity(opp_id: str, uow: UowDep, settings: SettingsDep) -> OpportunityOut:
    """The opp with its buying group, stage stamps, SLA state and stage history."""
    return await one(uow, settings, opp_id)


@router.patch("/opportunities/{opp_id}")
async def update_opportunity(
    opp_id: str, body: OpportunityPatch, uow: UowDep, settings: SettingsDep, caller: CallerDep
) -> OpportunityOut:
    """Amount, close date, term, owner and the hand-off: next step, its owner and due date; each
    change kept in `changes` and emitted as `opp.updated`."""
    await opportunities.update(uow, opp_id, body.model_dump(exclude_unset=True), actor=caller)
    await uow.commit()
    return await one(uow, settings, opp_id)


@router.post("/opportunities/{opp_id}/stage")
async def move_stage(
    opp_id: str, body: StageMoveIn, uow: UowDep, settings: SettingsDep, caller: CallerDep
) -> StageMoveResult:
    """Forward (skipping only through gates that hold), backward, or to closed_won/closed_lost."""
    given = body.model_dump(exclude={"stage"}, exclude_none=True)
    plan, opp = await opportunities.move(uow, settings, opp_id, body.stage, actor=caller, given=given)
    await uow.commit()
    return StageMoveResult(
        kind=plan.kind,
        from_stage=plan.from_stage,
        to_stage=plan.to_stage,
        skipped=list(plan.skipped),
        # A new stay has no breach yet, and the history is one GET away: two queries fewer.
        opportunity=(await described(uow, settings, [opp], breaches=False))[0],
    )


@router.post("/opportunities/{opp_id}/accept")
async def accept_handoff(
    opp_id: str, uow: UowDep, settings: SettingsDep, caller: CallerDep
) -> OpportunityOut:
    """The stage owner takes the handoff (any change they record on the opp does too); 409 when
    none waits or it is someone else's."""
    await handoffs.accept(uow, opp_id, actor=caller, now=datetime.now(UTC))
    await uow.commit()
    return await one(uow, settings, opp_id)


@router.post("/handoffs/scan", openapi_extra=right("admin"))
async def scan_handoffs_now(uows: UowsDep, settings: SettingsDep) -> dict[str, int]:
    """Escalate and reassign unaccepted handoffs now (it also runs in the background)."""
    return {"changed": await escalation.run(uows, settings)}


@router.post("/sla/scan", openapi_extra=right("admin"))
async def scan_sla_now(uows: UowsDep, settings: SettingsDep) -> dict[str, int]:
    """Run the SLA scan now (it also runs in the background); returns the breaches it found."""
    return {"breaches": await sla.scan_all(uows, settings)}
