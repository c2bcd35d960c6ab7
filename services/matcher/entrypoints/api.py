"""The matcher's /v1 routes: the account directory and match decisions."""

from __future__ import annotations

from fastapi import APIRouter, status

from services.matcher.app import accounts
from services.matcher.app.models import Match
from services.matcher.domain.accounts import StoredAccount
from services.matcher.domain.inputs import AccountIn, AccountPatch
from services.matcher.entrypoints.deps import UowDep
from services.matcher.entrypoints.imports import router as import_router
from services.matcher.entrypoints.review import router as review_router
from services.matcher.entrypoints.teams import router as teams_router

router = APIRouter(tags=["matcher"])
router.include_router(review_router)
router.include_router(import_router)
router.include_router(teams_router)


@router.post("/accounts", status_code=status.HTTP_201_CREATED)
async def post_account(body: AccountIn, uow: UowDep) -> StoredAccount:
    account = await accounts.create_account(uow, body.model_dump())
    await uow.commit()
    return account


@router.patch("/accounts/{account_id}")
async def patch_account(account_id: str, body: AccountPatch, uow: UowDep) -> StoredAccount:
    """Change an account (emits `account.updated` with the next version)."""
    account = await accounts.update_account(uow, account_id, body.model_dump(exclude_unset=True))
    await uow.commit()
    return account


@router.get("/accounts/{account_id}")
async def get_account(account_id: str, uow: UowDep) -> StoredAccount:
    return await accounts.account(uow, account_id)


@router.get("/leads/{lead_id}/match")
async def get_match(lead_id: str, uow: UowDep) -> Match:
    """`pending` until the matcher has consumed the lead's `lead.created`."""
    return await uow.matches.get(lead_id) or Match(lead_id=lead_id, status="pending")
