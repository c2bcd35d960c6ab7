"""The matcher's repositories on PostgreSQL: the ports of `app.uow`, each over one session."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from services.matcher.adapters import importer
from services.matcher.adapters import tables as t
from services.matcher.adapters.candidates import find_candidates
from services.matcher.app.models import ERASED, ImportProgress, Match
from services.matcher.domain.accounts import StoredAccount
from services.matcher.domain.matching import AccountProfile, LeadFacts
from services.matcher.domain.names import company_name, domain_label
from shared.db import email_hash_of, lock, raw_connection
from shared.events.people import ERASED_DOMAIN

ACCOUNT_COLUMNS = set(t.Account.model_fields)


def name_keys(name: str) -> dict[str, Any]:
    """The match keys of an account's name (see `domain.names`), kept beside it for the indexes."""
    keys = company_name(name)
    return {
        "name_key": keys.key,
        "name_text": keys.text,
        "acronym": keys.acronym,
        "core_key": keys.core,
        "sorted_key": keys.sorted_key,
    }


def _account_row(account: StoredAccount) -> dict[str, Any]:
    fields = {k: v for k, v in account.model_dump().items() if k in ACCOUNT_COLUMNS}
    return fields | name_keys(account.name)


class SqlAccounts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, account_id: str, *, lock: bool = False) -> StoredAccount | None:
        row = await self._session.get(
            t.Account, account_id, with_for_update=lock or None, populate_existing=True
        )
        return StoredAccount.model_validate(row, from_attributes=True) if row else None

    async def add(self, account: StoredAccount) -> list[str]:
        savepoint = await self._session.begin_nested()
        taken = [d for d in account.domains if not await self._claim_new(account.account_id, d)]
        if taken:
            await savepoint.rollback()
            return taken
        await savepoint.commit()
        await self._session.execute(insert(t.Account).values(**_account_row(account)))
        return []

    async def _claim_new(self, account_id: str, domain: str) -> bool:
        claimed = await self._session.scalar(
            insert(t.AccountDomain)
            .values(domain=domain, account_id=account_id, label=domain_label(domain))
            .on_conflict_do_nothing()
            .returning(col(t.AccountDomain.domain))
        )
        return claimed is not None

    async def save(self, account: StoredAccount) -> None:
        row = _account_row(account)
        await self._session.execute(
            update(t.Account)
            .where(col(t.Account.account_id) == account.account_id)
            .values({k: v for k, v in row.items() if k not in ("account_id", "created_at")})
            .execution_options(synchronize_session=False)
        )

    async def claim_domains(self, account_id: str, domains: Sequence[str]) -> list[str]:
        taken = []
        savepoint = await self._session.begin_nested()
        for domain in domains:
            owner = await self._session.scalar(
                insert(t.AccountDomain)
                .values(domain=domain, account_id=account_id, label=domain_label(domain))
                .on_conflict_do_update(index_elements=["domain"], set_={"label": domain_label(domain)})
                .returning(col(t.AccountDomain.account_id))
            )
            if owner != account_id:
                taken.append(domain)
        if taken:
            await savepoint.rollback()
        else:
            await savepoint.commit()
        return taken

    async def release_domains(self, account_id: str, *, keep: Sequence[str]) -> None:
        await self._session.execute(
            delete(t.AccountDomain).where(
                col(t.AccountDomain.account_id) == account_id, col(t.AccountDomain.domain).not_in(keep)
            )
        )

    async def owner_of_domain(self, domain: str) -> str | None:
        owner: str | None = await self._session.scalar(
            select(col(t.AccountDomain.account_id)).where(col(t.AccountDomain.domain) == domain)
        )
        return owner

    async def by_external_id(self, external_id: str) -> str | None:
        found: str | None = await self._session.scalar(
            select(col(t.Account.account_id)).where(col(t.Account.external_id) == external_id)
        )
        return found

    async def candidates(self, lead: LeadFacts) -> list[AccountProfile]:
        return await find_candidates(await raw_connection(self._session), lead)

    async def of_inactive_owners(self, batch: int) -> list[StoredAccount]:
        inactive = select(col(t.Rep.rep_id)).where(col(t.Rep.active).is_(False))
        rows = await self._session.scalars(
            select(t.Account)
            .where(col(t.Account.owner).in_(inactive))
            .order_by(col(t.Account.account_id))
            .limit(batch)
            .with_for_update(skip_locked=True, of=t.Account)
        )
        return [StoredAccount.model_validate(row, from_attributes=True) for row in rows]

    async def touch(self, account_id: str, at: datetime) -> None:
        await self._session.execute(
            update(t.Account).where(col(t.Account.account_id) == account_id).values(last_activity_at=at)
        )

    async def track_opp(
        self, opp_id: str, account_id: str, stage: str, *, is_open: bool, version: int
    ) -> None:
        values = {"account_id": account_id, "stage": stage, "open": is_open, "version": version}
        statement = insert(t.AccountOpp).values(opp_id=opp_id, **values)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["opp_id"], set_=values, where=col(t.AccountOpp.version) < version
            )
        )
        await lock(self._session, f"opps:{account_id}")
        open_opps = (
            select(func.count())
            .select_from(t.AccountOpp)
            .where(col(t.AccountOpp.account_id) == account_id, col(t.AccountOpp.open))
            .scalar_subquery()
        )
        await self._session.execute(
            update(t.Account).where(col(t.Account.account_id) == account_id).values(open_opps=open_opps)
        )

    async def load(self, records: list[tuple[Any, ...]], progress: ImportProgress) -> None:
        await importer.load(await raw_connection(self._session), records, progress)

    async def loaded(self, chunk: int) -> AsyncIterator[list[tuple[bool, StoredAccount]]]:
        async for batch in importer.loaded(await raw_connection(self._session), chunk):
            yield batch

    async def refresh_statistics(self) -> None:
        engine = self._session.bind
        assert isinstance(engine, AsyncEngine)
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM (ANALYZE) accounts, account_domains"))


class SqlContacts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def for_person(
        self, *, email: str, account_id: str, first_name: str | None, last_name: str | None, title: str | None
    ) -> str:
        """`ON CONFLICT DO NOTHING` on the unique email: of two concurrent conversions of one
        person, the second waits for the first's commit and then reads its contact."""
        contact_id = await self._session.scalar(
            insert(t.Contact)
            .values(
                contact_id=str(uuid.uuid4()),
                email=email,
                account_id=account_id,
                first_name=first_name,
                last_name=last_name,
                title=title,
            )
            .on_conflict_do_nothing(index_elements=["email"])
            .returning(col(t.Contact.contact_id))
        )
        if contact_id:
            return str(contact_id)
        existing = await self._session.scalar(
            select(col(t.Contact.contact_id)).where(col(t.Contact.email) == email)
        )
        assert existing is not None
        return str(existing)

    async def rename(self, email: str, person: dict[str, Any]) -> None:
        await self._session.execute(update(t.Contact).where(col(t.Contact.email) == email).values(**person))

    async def erase(self, contact_ids: list[str], email_hash: str) -> list[str]:
        contact = t.Contact
        erased = await self._session.scalars(
            update(contact)
            .where(
                col(contact.contact_id).in_(contact_ids) | (email_hash_of(col(contact.email)) == email_hash)
            )
            .values(
                email=func.concat(col(contact.contact_id), "@", ERASED_DOMAIN),
                first_name=None,
                last_name=None,
                title=None,
            )
            .returning(col(contact.contact_id))
        )
        return list(erased)


def _match_values(match: Match) -> dict[str, Any]:
    return match.model_dump(exclude={"lead_id", "decided_at"})


class SqlMatches:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_lead(self, lead_id: str) -> None:
        await lock(self._session, lead_id)

    async def get(self, lead_id: str) -> Match | None:
        row = await self._session.get(t.Match, lead_id, populate_existing=True)
        if row is None:
            return None
        return Match.model_validate(row.model_dump() | {"decided_at": row.created_at})

    async def put(self, match: Match) -> None:
        values = _match_values(match)
        await self._session.execute(
            insert(t.Match)
            .values(lead_id=match.lead_id, **values)
            .on_conflict_do_update(index_elements=["lead_id"], set_=values)
        )

    async def put_if_absent(self, match: Match) -> None:
        values = _match_values(match)
        await self._session.execute(
            insert(t.Match).values(lead_id=match.lead_id, **values).on_conflict_do_nothing()
        )

    async def reject(self, lead_id: str, explanation: str) -> None:
        await self._session.execute(
            update(t.Match)
            .where(col(t.Match.lead_id) == lead_id)
            .values(status="rejected", account_id=None, explanation=explanation)
        )

    async def take_early_changes(self, lead_id: str) -> dict[str, Any] | None:
        early = await self._session.get(t.EarlyLeadChanges, lead_id, populate_existing=True)
        if early is None:
            return None
        await self._session.delete(early)
        return dict(early.changes)

    async def keep_early_changes(self, lead_id: str, changes: dict[str, Any]) -> None:
        statement = insert(t.EarlyLeadChanges).values(lead_id=lead_id, changes=changes)
        merged = t.EarlyLeadChanges.__table__.c.changes.op("||")(statement.excluded.changes)  # type: ignore[attr-defined]
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["lead_id"], set_={"changes": merged})
        )

    async def field_versions(self, lead_id: str) -> dict[str, int]:
        row = await self._session.get(t.LeadFieldVersions, lead_id, populate_existing=True)
        return dict(row.versions) if row is not None else {}

    async def put_field_versions(self, lead_id: str, versions: dict[str, int]) -> None:
        statement = insert(t.LeadFieldVersions).values(lead_id=lead_id, versions=versions)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["lead_id"], set_={"versions": versions})
        )

    async def erase(self, lead_ids: list[str]) -> list[str]:
        await self._session.execute(
            delete(t.EarlyLeadChanges).where(col(t.EarlyLeadChanges.lead_id).in_(lead_ids))
        )
        await self._session.execute(
            delete(t.LeadFieldVersions).where(col(t.LeadFieldVersions.lead_id).in_(lead_ids))
        )
        for lead_id in lead_ids:
            await self.put_if_absent(
                Match(lead_id=lead_id, status="erased", method="erasure", confidence=0.0, explanation=ERASED)
            )
        contacts = await self._session.scalars(
            select(col(t.Match.contact_id)).where(
                col(t.Match.lead_id).in_(lead_ids), col(t.Match.contact_id).is_not(None)
            )
        )
        return [str(contact) for contact in contacts]


class SqlImports:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(self, progress: ImportProgress) -> None:
        report = json.loads(json.dumps(asdict(progress), default=str))
        statement = insert(t.AccountImport).values(import_id=progress.import_id, report=report)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["import_id"], set_={"report": report, "updated_at": func.now()}
            )
        )

    async def get(self, import_id: str) -> ImportProgress | None:
        row = await self._session.get(t.AccountImport, import_id)
        if row is None:
            return None
        report = dict(row.report)
        for name in ("started_at", "finished_at"):
            report[name] = datetime.fromisoformat(report[name]) if report[name] else None
        return ImportProgress(**report)
