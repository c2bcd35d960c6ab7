"""Accounts as scoring sees them: firmographics that fill a contact's fit where the lead gave
none, and the customer flag that makes the account's contacts customers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.scoring import scorer
from services.scoring.domain import lifecycle
from services.scoring.settings import ScoringSettings
from services.scoring.tables import Account, Person
from shared.events import AccountCreated, AccountUpdated, Envelope
from shared.uow import UnitOfWork


async def on_account_changed(
    event: AccountCreated | AccountUpdated, envelope: Envelope, uow: UnitOfWork, settings: ScoringSettings
) -> None:
    account = Account(
        account_id=event.account_id,
        industry=event.industry,
        employees=event.employees,
        country=event.country,
        is_customer=event.is_customer,
        version=envelope.aggregate_version or 0,
    )
    values = account.model_dump(exclude={"account_id"})
    applied = await uow.session.scalar(
        insert(Account)
        .values(account_id=account.account_id, **values)
        .on_conflict_do_update(
            index_elements=["account_id"], set_=values, where=col(Account.version) <= account.version
        )
        .returning(col(Account.account_id))
    )
    if applied is None:
        return  # an older version than the one already applied
    now = datetime.now(UTC)
    contacts = await uow.session.scalars(
        select(Person)
        .where(col(Person.account_id) == account.account_id)
        .order_by(col(Person.person_id))
        .with_for_update()
    )
    for person in contacts:
        scorer.refit(person, settings, now, account)
        change = None
        to = lifecycle.by_deal(person.lifecycle_stage, "customer") if account.is_customer else None
        if to:
            why = f"account {event.name} is a customer"
            change = scorer.move(
                uow, person, lifecycle.Change(person.lifecycle_stage, to, now, "account", why)
            )
        scorer.settle(uow, person, settings, now, change=change)
