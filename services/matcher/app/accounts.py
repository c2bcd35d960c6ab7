"""The account directory's use cases: create and change accounts, one owner per web domain."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.matcher.app.uow import MatcherUnitOfWork
from services.matcher.domain.accounts import StoredAccount, clean_domains
from shared.errors import Conflict, Invalid, NotFound
from shared.events import AccountCreated, AccountUpdated

REQUIRED = ("name", "domains", "is_customer")  # a null sent for one of these changes nothing


async def create_account(uow: MatcherUnitOfWork, fields: dict[str, Any]) -> StoredAccount:
    """A new account from `fields` (its domains cleaned); Conflict naming a domain another owns."""
    await _check_parent(uow, fields.get("parent_id"))
    await _check_external_id(uow, fields.get("external_id"))
    domains = clean_domains(fields.get("domains") or [], fields.get("website"))
    account, taken = await add_account(uow, {**fields, "domains": domains})
    if taken:
        raise _taken(taken)
    return account


async def add_account(uow: MatcherUnitOfWork, fields: dict[str, Any]) -> tuple[StoredAccount, list[str]]:
    """Insert the account (its domains as given) and emit `account.created`; or nothing, and the
    domains already taken."""
    now = datetime.now(UTC)
    account = StoredAccount.model_validate(
        {
            **fields,
            "account_id": fields.get("account_id") or str(uuid.uuid4()),
            "created_at": now,
            "updated_at": now,
        }
    )
    taken = await uow.accounts.add(account)
    if not taken:
        uow.emit(AccountCreated.model_validate(account.model_dump()), aggregate_version=1)
    return account, taken


async def update_account(uow: MatcherUnitOfWork, account_id: str, changes: dict[str, Any]) -> StoredAccount:
    """Apply `changes` (domains replace the list) and emit `account.updated` with the next version."""
    account = await uow.accounts.get(account_id, lock=True)
    if account is None:
        raise NotFound(f"No account {account_id}.")
    changes = {k: v for k, v in changes.items() if v is not None or k not in REQUIRED}
    await _check_parent(uow, changes.get("parent_id"), account_id)
    await _check_external_id(uow, changes.get("external_id"), account_id)
    if "domains" in changes:
        domains = clean_domains(changes["domains"], changes.get("website", account.website))
        taken = await uow.accounts.claim_domains(account_id, domains)
        if taken:
            raise _taken(taken)
        await uow.accounts.release_domains(account_id, keep=domains)
        changes = {**changes, "domains": domains}
    updated = account.model_copy(
        update={**changes, "version": account.version + 1, "updated_at": datetime.now(UTC)}
    )
    await uow.accounts.save(updated)
    uow.emit(AccountUpdated.model_validate(updated.model_dump()), aggregate_version=updated.version)
    return updated


async def mark_customer(uow: MatcherUnitOfWork, account_id: str) -> None:
    """A won Acquisition opp makes its account a customer, and every service hears it."""
    held = await uow.accounts.get(account_id, lock=True)
    if held is not None and not held.is_customer:
        await update_account(uow, account_id, {"is_customer": True})


async def account(uow: MatcherUnitOfWork, account_id: str) -> StoredAccount:
    found = await uow.accounts.get(account_id)
    if found is None:
        raise NotFound(f"No account {account_id}.")
    return found


async def _check_parent(uow: MatcherUnitOfWork, parent_id: str | None, account_id: str | None = None) -> None:
    if parent_id is None:
        return
    if parent_id == account_id or await uow.accounts.get(parent_id) is None:
        reason = (
            "an account cannot be its own parent" if parent_id == account_id else f"no account {parent_id}"
        )
        raise Invalid(reason, errors=[{"field": "parent_id", "reason": reason}])


async def _check_external_id(
    uow: MatcherUnitOfWork, external_id: str | None, account_id: str | None = None
) -> None:
    holder = await uow.accounts.by_external_id(external_id) if external_id else None
    if holder is not None and holder != account_id:
        reason = f"account {holder} has this external id"
        raise Conflict(reason, errors=[{"field": "external_id", "reason": reason}])


def _taken(taken: list[str]) -> Conflict:
    return Conflict(
        f"domains already belong to another account: {', '.join(taken)}",
        errors=[{"field": "domains", "reason": f"{d} is taken"} for d in taken],
    )
