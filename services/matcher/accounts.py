"""The account directory: create accounts with their match keys, and claim their domains."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.matcher.domain.names import company_name, domain_label
from services.matcher.tables import Account, AccountDomain
from shared.domains import registrable_domain
from shared.events import AccountCreated, AccountUpdated
from shared.tables import utcnow
from shared.uow import UnitOfWork


def clean_domains(domains: list[str], website: str | None) -> list[str]:
    found = [registrable_domain(d) for d in [*domains, website or ""]]
    return list(dict.fromkeys(d for d in found if d))


def with_name_keys(account: Account) -> Account:
    name = company_name(account.name)
    account.name_key, account.name_text, account.acronym = name.key, name.text, name.acronym
    account.core_key, account.sorted_key = name.core, name.sorted_key
    return account


async def create_account(uow: UnitOfWork, account: Account) -> list[str]:
    """Insert `account` and claim its domains; returns the domains other accounts own.

    When a domain is taken nothing is written (the caller rolls back or re-reads): a
    concurrent claim waits for the other transaction, so exactly one account gets it.
    """
    account.account_id = account.account_id or str(uuid.uuid4())
    with_name_keys(account)
    taken = []
    savepoint = await uow.session.begin_nested()
    for domain in account.domains:
        claimed = await uow.session.scalar(
            insert(AccountDomain)
            .values(domain=domain, account_id=account.account_id, label=domain_label(domain))
            .on_conflict_do_nothing()
            .returning(col(AccountDomain.domain))
        )
        if not claimed:
            taken.append(domain)
    if taken:
        await savepoint.rollback()
        return taken
    await savepoint.commit()
    uow.session.add(account)
    uow.emit(
        AccountCreated(**account.model_dump(include=set(AccountCreated.model_fields))),
        aggregate_version=1,
    )
    return []


async def claim_domains(uow: UnitOfWork, account_id: str, domains: list[str]) -> list[str]:
    """Claim `domains` for the account; the ones another account owns (then nothing is claimed)."""
    taken = []
    savepoint = await uow.session.begin_nested()
    for domain in domains:
        owner = await uow.session.scalar(
            insert(AccountDomain)
            .values(domain=domain, account_id=account_id, label=domain_label(domain))
            .on_conflict_do_update(index_elements=["domain"], set_={"label": domain_label(domain)})
            .returning(col(AccountDomain.account_id))
        )
        if owner != account_id:
            taken.append(domain)
    if taken:
        await savepoint.rollback()
    else:
        await savepoint.commit()
    return taken


async def update_account(uow: UnitOfWork, account: Account, changes: dict[str, Any]) -> list[str]:
    """Apply `changes` (domains replace the list); returns domains another account owns."""
    if "domains" in changes:
        domains = clean_domains(changes.pop("domains"), changes.get("website", account.website))
        taken = await claim_domains(uow, account.account_id, domains)
        if taken:
            return taken
        await uow.session.execute(
            delete(AccountDomain).where(
                col(AccountDomain.account_id) == account.account_id, col(AccountDomain.domain).not_in(domains)
            )
        )
        account.domains = domains
    for field, value in changes.items():
        setattr(account, field, value)
    with_name_keys(account)
    account.version += 1
    account.updated_at = utcnow()
    uow.emit(
        AccountUpdated(**account.model_dump(include=set(AccountUpdated.model_fields))),
        aggregate_version=account.version,
    )
    return []
