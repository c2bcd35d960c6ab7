"""What the opportunity service keeps of others' records, on PostgreSQL: accounts, contacts and
scores copied from events, people identified onto opps, and the engagement copy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.opportunity.adapters import tables as t
from services.opportunity.app.models import AccountCopy, ContactCopy, IdentifiedPerson
from shared.db import email_hash_of
from shared.events.people import ERASED_DOMAIN


class SqlCopies:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def account(self, account_id: str) -> AccountCopy | None:
        row = await self._session.get(t.AccountCopy, account_id, populate_existing=True)
        return AccountCopy.model_validate(row, from_attributes=True) if row else None

    async def put_account(self, account: AccountCopy) -> None:
        values = account.model_dump(exclude={"account_id"})
        statement = insert(t.AccountCopy).values(account_id=account.account_id, **values)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["account_id"],
                set_=values,
                where=col(t.AccountCopy.version) <= account.version,  # a stale event changes nothing
            )
        )

    async def contact(self, contact_id: str) -> ContactCopy | None:
        row = await self._session.get(t.ContactCopy, contact_id, populate_existing=True)
        return ContactCopy.model_validate(row, from_attributes=True) if row else None

    async def find_contacts(
        self, *, ids: Sequence[str] = (), account_id: str | None = None
    ) -> list[ContactCopy]:
        where = col(t.ContactCopy.contact_id).in_(ids) if ids else col(t.ContactCopy.account_id) == account_id
        rows = await self._session.scalars(
            select(t.ContactCopy)
            .where(where)
            .order_by(col(t.ContactCopy.last_name), col(t.ContactCopy.contact_id))
            .limit(500)
        )
        return [ContactCopy.model_validate(row, from_attributes=True) for row in rows]

    async def contact_by_email(self, email: str) -> ContactCopy | None:
        row = await self._session.scalar(
            select(t.ContactCopy).where(col(t.ContactCopy.email) == email).limit(1)
        )
        return ContactCopy.model_validate(row, from_attributes=True) if row else None

    async def put_contact(self, contact: ContactCopy) -> None:
        values = contact.model_dump(exclude={"contact_id"})
        await self._session.execute(
            insert(t.ContactCopy)
            .values(contact_id=contact.contact_id, **values)
            .on_conflict_do_update(index_elements=["contact_id"], set_=values)
        )

    async def erase_people(self, lead_ids: list[str], contact_ids: list[str], email_hash: str) -> list[str]:
        contact = t.ContactCopy
        of_leads = select(col(t.LeadContact.contact_id)).where(col(t.LeadContact.lead_id).in_(lead_ids))
        erased = await self._session.scalars(
            update(contact)
            .where(
                col(contact.contact_id).in_(contact_ids)
                | col(contact.contact_id).in_(of_leads)
                | (email_hash_of(col(contact.email)) == email_hash)
            )
            .values(
                email=func.concat(col(contact.contact_id), "@", ERASED_DOMAIN),
                first_name=None,
                last_name=None,
                title=None,
            )
            .returning(col(contact.contact_id))
        )
        erased_ids = list(erased)
        await self._session.execute(
            delete(t.ContactScore).where(col(t.ContactScore.contact_id).in_(erased_ids))
        )
        return erased_ids

    async def put_score(self, contact_id: str, score: float, version: int) -> None:
        await self._session.execute(
            insert(t.ContactScore)
            .values(contact_id=contact_id, score=score, version=version)
            .on_conflict_do_update(
                index_elements=["contact_id"],
                set_={"score": score, "version": version},
                where=col(t.ContactScore.version) <= version,
            )
        )


class SqlIdentified:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def pending(self, email: str) -> list[IdentifiedPerson]:
        rows = await self._session.scalars(
            select(t.IdentifiedPerson)
            .where(col(t.IdentifiedPerson.email) == email, col(t.IdentifiedPerson.status) == "pending")
            .with_for_update()
        )
        return [IdentifiedPerson.model_validate(row, from_attributes=True) for row in rows]

    async def of_opp(self, opp_id: str) -> list[IdentifiedPerson]:
        rows = await self._session.scalars(
            select(t.IdentifiedPerson)
            .where(col(t.IdentifiedPerson.opp_id) == opp_id)
            .order_by(col(t.IdentifiedPerson.identified_at))
        )
        return [IdentifiedPerson.model_validate(row, from_attributes=True) for row in rows]

    async def put(self, person: IdentifiedPerson) -> None:
        values = person.model_dump()
        await self._session.execute(
            insert(t.IdentifiedPerson)
            .values(**values)
            .on_conflict_do_update(index_elements=["opp_id", "email"], set_=values)
        )

    async def erase(self, email_hash: str) -> None:
        person = t.IdentifiedPerson
        await self._session.execute(delete(person).where(email_hash_of(col(person.email)) == email_hash))


class SqlActivity:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record_engagement(self, engagement_id: str, lead_id: str, kind: str, at: datetime) -> bool:
        new = await self._session.scalar(
            insert(t.EngagementCopy)
            .values(engagement_id=engagement_id, lead_id=lead_id, kind=kind, occurred_at=at)
            .on_conflict_do_nothing()
            .returning(col(t.EngagementCopy.engagement_id))
        )
        return new is not None

    async def link_lead(self, lead_id: str, contact_id: str, account_id: str) -> None:
        values = {"contact_id": contact_id, "account_id": account_id}
        await self._session.execute(
            insert(t.LeadContact)
            .values(lead_id=lead_id, **values)
            .on_conflict_do_update(index_elements=["lead_id"], set_=values)
        )

    async def account_of_lead(self, lead_id: str) -> str | None:
        account: str | None = await self._session.scalar(
            select(col(t.LeadContact.account_id)).where(col(t.LeadContact.lead_id) == lead_id)
        )
        return account

    async def engaged_people(self, account_id: str, since: datetime, kinds: Sequence[str]) -> int:
        engaged = await self._session.scalar(
            select(func.count(func.distinct(col(t.LeadContact.contact_id))))
            .join(t.EngagementCopy, col(t.EngagementCopy.lead_id) == col(t.LeadContact.lead_id))
            .where(
                col(t.LeadContact.account_id) == account_id,
                col(t.EngagementCopy.occurred_at) >= since,
                col(t.EngagementCopy.kind).in_(kinds),
            )
        )
        return int(engaged or 0)
