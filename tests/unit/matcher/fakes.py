"""The matcher's unit of work in memory."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.matcher.app.models import ImportProgress, Match, ReviewFilter, ReviewItem
from services.matcher.app.uow import MatcherUnitOfWork
from services.matcher.domain.accounts import StoredAccount
from services.matcher.domain.matching import AccountProfile, LeadFacts
from services.matcher.domain.names import company_name
from services.matcher.domain.teams import StoredPool, StoredRep
from tests.support.fakes import FakeUnitOfWork


class FakeAccounts:
    """Candidates by domain or by the exact name key: the indexes' first two rules."""

    def __init__(self) -> None:
        self.rows: dict[str, StoredAccount] = {}
        self.domains: dict[str, str] = {}
        self.opps: dict[str, tuple[str, bool]] = {}
        self.opp_versions: dict[str, int] = {}

    async def get(self, account_id: str, *, lock: bool = False) -> StoredAccount | None:
        return self.rows.get(account_id)

    async def add(self, account: StoredAccount) -> list[str]:
        taken = [d for d in account.domains if d in self.domains]
        if not taken:
            self.rows[account.account_id] = account
            self.domains |= dict.fromkeys(account.domains, account.account_id)
        return taken

    async def save(self, account: StoredAccount) -> None:
        self.rows[account.account_id] = account

    async def claim_domains(self, account_id: str, domains: Sequence[str]) -> list[str]:
        taken = [d for d in domains if self.domains.get(d, account_id) != account_id]
        if not taken:
            self.domains |= dict.fromkeys(domains, account_id)
        return taken

    async def release_domains(self, account_id: str, *, keep: Sequence[str]) -> None:
        self.domains = {d: a for d, a in self.domains.items() if a != account_id or d in keep}

    async def owner_of_domain(self, domain: str) -> str | None:
        return self.domains.get(domain)

    async def by_external_id(self, external_id: str) -> str | None:
        return next((a.account_id for a in self.rows.values() if a.external_id == external_id), None)

    async def candidates(self, lead: LeadFacts) -> list[AccountProfile]:
        key = company_name(lead.company).key
        found = [
            a
            for a in self.rows.values()
            if {lead.email_domain, lead.website_domain} & set(a.domains)
            or (key and company_name(a.name).key == key)
        ]
        return [
            AccountProfile(a.account_id, a.name, tuple(a.domains), owner=a.owner, open_opps=a.open_opps)
            for a in found
        ]

    async def of_inactive_owners(self, batch: int) -> list[StoredAccount]:
        raise NotImplementedError("the scan is SQL: tested against PostgreSQL")

    async def touch(self, account_id: str, at: datetime) -> None:
        self.rows[account_id] = self.rows[account_id].model_copy(update={"last_activity_at": at})

    async def track_opp(
        self, opp_id: str, account_id: str, stage: str, *, is_open: bool, version: int
    ) -> None:
        if opp_id not in self.opps or self.opp_versions[opp_id] < version:
            self.opps[opp_id] = (account_id, is_open)
            self.opp_versions[opp_id] = version
        if account_id in self.rows:
            count = sum(1 for a, is_open in self.opps.values() if a == account_id and is_open)
            self.rows[account_id] = self.rows[account_id].model_copy(update={"open_opps": count})

    async def load(self, records: list[tuple[Any, ...]], progress: ImportProgress) -> None:
        raise NotImplementedError("the bulk load is SQL: tested against PostgreSQL")

    def loaded(self, chunk: int) -> AsyncIterator[list[tuple[bool, StoredAccount]]]:
        raise NotImplementedError

    async def refresh_statistics(self) -> None:
        pass


class FakeContacts:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    async def for_person(
        self, *, email: str, account_id: str, first_name: str | None, last_name: str | None, title: str | None
    ) -> str:
        if email not in self.rows:
            self.rows[email] = {
                "contact_id": str(uuid.uuid4()),
                "account_id": account_id,
                "first_name": first_name,
                "last_name": last_name,
                "title": title,
            }
        return str(self.rows[email]["contact_id"])

    async def rename(self, email: str, person: dict[str, Any]) -> None:
        if email in self.rows:
            self.rows[email] |= person


class FakeMatches:
    def __init__(self) -> None:
        self.rows: dict[str, Match] = {}
        self.early: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, dict[str, int]] = {}

    async def lock_lead(self, lead_id: str) -> None:
        pass

    async def get(self, lead_id: str) -> Match | None:
        return self.rows.get(lead_id)

    async def put(self, match: Match) -> None:
        self.rows[match.lead_id] = match

    async def put_if_absent(self, match: Match) -> None:
        self.rows.setdefault(match.lead_id, match)

    async def reject(self, lead_id: str, explanation: str) -> None:
        self.rows[lead_id] = self.rows[lead_id].model_copy(
            update={"status": "rejected", "account_id": None, "explanation": explanation}
        )

    async def take_early_changes(self, lead_id: str) -> dict[str, Any] | None:
        return self.early.pop(lead_id, None)

    async def keep_early_changes(self, lead_id: str, changes: dict[str, Any]) -> None:
        self.early[lead_id] = {**self.early.get(lead_id, {}), **changes}

    async def field_versions(self, lead_id: str) -> dict[str, int]:
        return dict(self.versions.get(lead_id, {}))

    async def put_field_versions(self, lead_id: str, versions: dict[str, int]) -> None:
        self.versions[lead_id] = dict(versions)


class FakeReviewQueue:
    def __init__(self) -> None:
        self.rows: dict[str, ReviewItem] = {}

    async def add(self, item: ReviewItem) -> None:
        self.rows[item.item_id] = item

    async def get(self, item_id: str, *, lock: bool = False) -> ReviewItem | None:
        return self.rows.get(item_id)

    async def list(self, where: ReviewFilter) -> list[ReviewItem]:
        return [i for i in self.rows.values() if where.status in ("all", i.status)]

    async def save(self, item: ReviewItem) -> None:
        self.rows[item.item_id] = item


class FakeRoutingCounts:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, int, str], int] = {}

    async def of_pool(self, pool: str, turn: int) -> dict[str, int]:
        return {owner: n for (p, t, owner), n in self.counts.items() if (p, t) == (pool, turn)}

    async def count(self, pool: str, turn: int, owner: str) -> None:
        self.counts[(pool, turn, owner)] = self.counts.get((pool, turn, owner), 0) + 1


class FakeTeams:
    def __init__(self) -> None:
        self.rep_rows: dict[str, StoredRep] = {}
        self.pool_rows: dict[str, StoredPool] = {}

    async def rep(self, rep_id: str, *, lock: bool = False) -> StoredRep | None:
        return self.rep_rows.get(rep_id)

    async def reps(self, rep_ids: Sequence[str]) -> list[StoredRep]:
        return [self.rep_rows[r] for r in rep_ids if r in self.rep_rows]

    async def all_reps(self, team: str | None, limit: int, offset: int) -> list[StoredRep]:
        found = sorted((r for r in self.rep_rows.values() if team in (None, r.team)), key=lambda r: r.rep_id)
        return found[offset : offset + limit]

    async def save_rep(self, rep: StoredRep) -> None:
        self.rep_rows[rep.rep_id] = rep

    async def pool(self, pool_id: str, *, lock: bool = False) -> StoredPool | None:
        return self.pool_rows.get(pool_id)

    async def pools(self, team: str | None) -> list[StoredPool]:
        return sorted((p for p in self.pool_rows.values() if team in (None, p.team)), key=lambda p: p.pool_id)

    async def save_pool(self, pool: StoredPool) -> None:
        self.pool_rows[pool.pool_id] = pool


class FakeImports:
    def __init__(self) -> None:
        self.rows: dict[str, ImportProgress] = {}

    async def save(self, progress: ImportProgress) -> None:
        self.rows[progress.import_id] = replace(progress)

    async def get(self, import_id: str) -> ImportProgress | None:
        return self.rows.get(import_id)


class FakeMatcherUnitOfWork(FakeUnitOfWork, MatcherUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.accounts = FakeAccounts()
        self.contacts = FakeContacts()
        self.matches = FakeMatches()
        self.review = FakeReviewQueue()
        self.routing = FakeRoutingCounts()
        self.imports = FakeImports()
        self.teams = FakeTeams()
