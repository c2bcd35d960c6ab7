"""Opportunity routes: create, read, update, list; stage moves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlmodel import col

from services.opportunity import automations, buying_group
from services.opportunity.domain.moves import Refusal
from services.opportunity.lifecycle import create_opp, move_opp
from services.opportunity.models import (
    OpportunityIn,
    OpportunityOut,
    OpportunityPatch,
    OppTypeIn,
    StageMoveIn,
    StageMoveResult,
)
from services.opportunity.sla_scan import scan_all
from services.opportunity.tables import AccountCopy, ContactCopy, Opportunity
from services.opportunity.views import SettingsDep, described, locked_opp
from shared.app import RuntimeDep, UowDep
from shared.problems import Problem

router = APIRouter(tags=["opportunity"])


@router.get("/opportunities")
async def list_opportunities(
    uow: UowDep,
    settings: SettingsDep,
    account_id: str | None = None,
    type: OppTypeIn | None = None,
    stage: str | None = None,
    owner: str | None = None,
    is_open: Annotated[bool | None, Query(alias="open")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[OpportunityOut]:
    query = select(Opportunity).order_by(col(Opportunity.created_at), col(Opportunity.opp_id))
    for column, value in (
        (Opportunity.account_id, account_id),
        (Opportunity.type, type),
        (Opportunity.stage, stage),
        (Opportunity.owner, owner),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    if is_open is not None:
        query = query.where(
            col(Opportunity.closed_at).is_(None) if is_open else col(Opportunity.closed_at).isnot(None)
        )
    opps = list((await uow.session.scalars(query.limit(limit).offset(offset))).all())
    return await described(uow, settings, opps)


@router.post("/opportunities", status_code=201)
async def create_opportunity(body: OpportunityIn, uow: UowDep, settings: SettingsDep) -> OpportunityOut:
    """From an account, or from a contact (which becomes the first member of the buying group)."""
    if (body.account_id is None) == (body.contact_id is None):
        raise Problem(
            422, "Invalid request", "Give account_id or contact_id (exactly one).", field="account_id"
        )
    if not settings.pipelines.enabled(body.type):
        raise Problem(422, "Invalid request", f"{body.type} opportunities are switched off.", field="type")
    role = body.role or settings.opportunity_default_contact_role
    if role not in settings.pipelines.roles:
        raise Problem(422, "Invalid request", _unknown_role(role, settings.pipelines.roles), field="role")
    contact = None
    if body.contact_id is not None:
        contact = await uow.session.get(ContactCopy, body.contact_id)
        if contact is None:
            raise Problem(422, "Invalid request", f"No contact {body.contact_id}.", field="contact_id")
    account_id = contact.account_id if contact else body.account_id
    assert account_id is not None
    if await uow.session.get(AccountCopy, account_id) is None:
        raise Problem(422, "Invalid request", f"No account {account_id}.", field="account_id")
    now = datetime.now(UTC)
    opp = await create_opp(
        uow,
        settings.pipelines,
        account_id=account_id,
        opp_type=body.type,
        created_by=body.actor,
        now=now,
        owner=body.owner,
        amount=body.amount,
        close_date=body.close_date,
        term_months=body.term_months,
    )
    if opp is None:
        raise Problem(409, "Conflict", f"Account {account_id} already has an open acquisition opportunity.")
    opp.next_step, opp.next_step_owner, opp.next_step_due = (
        body.next_step,
        body.next_step_owner,
        body.next_step_due,
    )
    if contact is not None:
        await buying_group.set_role(
            uow, opp, contact.contact_id, role, primary=True, actor=opp.created_by, now=now
        )
    await uow.commit()
    return await _one(uow, settings, opp.opp_id)


@router.get("/opportunities/{opp_id}")
async def get_opportunity(opp_id: str, uow: UowDep, settings: SettingsDep) -> OpportunityOut:
    """The opp with its buying group, stage stamps, SLA state and stage history."""
    return await _one(uow, settings, opp_id)


@router.patch("/opportunities/{opp_id}")
async def update_opportunity(
    opp_id: str, body: OpportunityPatch, uow: UowDep, settings: SettingsDep
) -> OpportunityOut:
    """Amount, close date, term, owner and the hand-off: next step, its owner and due date."""
    opp = await locked_opp(uow, opp_id)
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        setattr(opp, name, value)
    if changes:
        opp.version += 1
        opp.updated_at = datetime.now(UTC)
    await uow.commit()
    return await _one(uow, settings, opp_id)


@router.post("/opportunities/{opp_id}/stage")
async def move_stage(opp_id: str, body: StageMoveIn, uow: UowDep, settings: SettingsDep) -> StageMoveResult:
    """Forward (skipping only through gates that hold), backward, or to closed_won/closed_lost."""
    opp = await locked_opp(uow, opp_id)
    now = datetime.now(UTC)
    plan = await move_opp(uow, settings.pipelines, opp, body.stage, actor=body.actor, now=now)
    if isinstance(plan, Refusal):
        failures = [f.as_dict() for f in plan.failures]
        title = "Gate not met" if failures else ("Unknown stage" if plan.status == 422 else "Move refused")
        extra: dict[str, Any] = {"gate": failures[0], "gates": failures} if failures else {}
        raise Problem(plan.status, title, plan.detail, reason=plan.reason, field="stage", **extra)
    await automations.after_move(uow, settings, opp, now=now)
    await uow.commit()
    return StageMoveResult(
        kind=plan.kind,
        from_stage=plan.from_stage,
        to_stage=plan.to_stage,
        skipped=list(plan.skipped),
        # A new stay has no breach yet, and the history is one GET away: two queries fewer.
        opportunity=(await described(uow, settings, [opp], breaches=False))[0],
    )


@router.post("/sla/scan")
async def scan_sla_now(runtime: RuntimeDep, settings: SettingsDep) -> dict[str, int]:
    """Run the SLA scan now (it also runs in the background); returns the breaches it found."""
    return {"breaches": await scan_all(runtime, settings)}


def _unknown_role(role: str, roles: tuple[str, ...]) -> str:
    return f"Unknown role {role!r}; roles are {', '.join(roles)}."


async def _one(uow: UowDep, settings: SettingsDep, opp_id: str) -> OpportunityOut:
    opp = await uow.session.get(Opportunity, opp_id, populate_existing=True)
    if opp is None:
        raise Problem(404, "Not Found", f"No opportunity {opp_id}.")
    [out] = await described(uow, settings, [opp], history=True)
    return out
