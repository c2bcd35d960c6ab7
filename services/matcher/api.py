"""Matcher's routes: the account directory and match decisions."""

from __future__ import annotations

from fastapi import APIRouter, status

from services.matcher.accounts import clean_domains, create_account, update_account
from services.matcher.import_api import router as import_router
from services.matcher.models import AccountIn, AccountOut, AccountPatch, MatchOut
from services.matcher.review_api import router as review_router
from services.matcher.tables import Account, Match
from shared.app import UowDep
from shared.problems import Problem

router = APIRouter(tags=["matcher"])
router.include_router(review_router)
router.include_router(import_router)


def _taken(taken: list[str]) -> Problem:
    return Problem(
        409,
        "Conflict",
        f"domains already belong to another account: {', '.join(taken)}",
        errors=[{"field": "domains", "reason": f"{d} is taken"} for d in taken],
    )


async def _check_parent(uow: UowDep, parent_id: str | None, account_id: str | None = None) -> None:
    if parent_id is None:
        return
    if parent_id == account_id or await uow.session.get(Account, parent_id) is None:
        reason = (
            "an account cannot be its own parent" if parent_id == account_id else f"no account {parent_id}"
        )
        raise Problem(422, "Invalid request", reason, errors=[{"field": "parent_id", "reason": reason}])


@router.post("/accounts", status_code=status.HTTP_201_CREATED)
async def post_account(body: AccountIn, uow: UowDep) -> AccountOut:
    await _check_parent(uow, body.parent_id)
    domains = clean_domains(body.domains, body.website)
    account = Account(**body.model_dump(exclude={"domains"}), domains=domains)
    taken = await create_account(uow, account)
    if taken:
        raise _taken(taken)
    await uow.commit()
    return AccountOut.model_validate(await uow.session.get(Account, account.account_id), from_attributes=True)


@router.patch("/accounts/{account_id}")
async def patch_account(account_id: str, body: AccountPatch, uow: UowDep) -> AccountOut:
    """Change an account (emits `account.updated` with the next version)."""
    account = await uow.session.get(Account, account_id, with_for_update=True)
    if account is None:
        raise Problem(404, "Not Found", f"No account {account_id}.")
    changes = body.model_dump(exclude_unset=True)
    await _check_parent(uow, changes.get("parent_id"), account_id)
    taken = await update_account(uow, account, changes)
    if taken:
        raise _taken(taken)
    await uow.commit()
    return AccountOut.model_validate(account, from_attributes=True)


@router.get("/accounts/{account_id}")
async def get_account(account_id: str, uow: UowDep) -> AccountOut:
    account = await uow.session.get(Account, account_id)
    if account is None:
        raise Problem(404, "Not Found", f"No account {account_id}.")
    return AccountOut.model_validate(account, from_attributes=True)


@router.get("/leads/{lead_id}/match")
async def get_match(lead_id: str, uow: UowDep) -> MatchOut:
    """`pending` until the matcher has consumed the lead's `lead.created`."""
    match = await uow.session.get(Match, lead_id)
    if match is None:
        return MatchOut(lead_id=lead_id, status="pending")
    return MatchOut(
        lead_id=lead_id,
        status=match.status,
        account_id=match.account_id,
        contact_id=match.contact_id,
        method=match.method,
        confidence=match.confidence,
        explanation=match.explanation,
        owner=match.owner,
        owner_reason=match.owner_reason,
        decided_at=match.created_at,
    )
