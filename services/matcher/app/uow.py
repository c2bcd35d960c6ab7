"""The matcher's unit of work: the account directory, contacts, decisions, the review queue and
routing counts, as ports the adapters implement."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from services.matcher.app.models import ImportProgress, Match, ReviewFilter, ReviewItem
from services.matcher.domain.accounts import StoredAccount
from services.matcher.domain.matching import AccountProfile, LeadFacts
from services.matcher.domain.teams import StoredPool, StoredRep
from shared.uow import UnitOfWork


class Accounts(Protocol):
    async def get(self, account_id: str, *, lock: bool = False) -> StoredAccount | None: ...

    async def add(self, account: StoredAccount) -> list[str]:
        """Insert the account and claim its domains; the domains another account owns (then
        nothing is written: of two concurrent claims, exactly one wins)."""
        ...

    async def save(self, account: StoredAccount) -> None: ...

    async def claim_domains(self, account_id: str, domains: Sequence[str]) -> list[str]:
        """Claim `domains` (keeping the ones it has); the ones another account owns (then none)."""
        ...

    async def release_domains(self, account_id: str, *, keep: Sequence[str]) -> None: ...

    async def owner_of_domain(self, domain: str) -> str | None: ...

    async def by_external_id(self, external_id: str) -> str | None:
        """The id of the account with this external id (the CRM's), if any."""
        ...

    async def candidates(self, lead: LeadFacts) -> list[AccountProfile]:
        """The accounts a lead may belong to, from indexes only."""
        ...

    async def of_inactive_owners(self, batch: int) -> list[StoredAccount]:
        """Up to `batch` accounts whose owner is a rep the directory knows inactive, locked
        (SKIP LOCKED: replicas share the work)."""
        ...

    async def touch(self, account_id: str, at: datetime) -> None:
        """Record activity (the `most_recent` tie-breaker reads it)."""
        ...

    async def track_opp(
        self, opp_id: str, account_id: str, stage: str, *, is_open: bool, version: int
    ) -> None:
        """Keep the account's count of open opportunities (the `open_opp` tie-breaker) in step;
        what a newer version of the opp already said is kept."""
        ...

    async def load(self, records: list[tuple[Any, ...]], progress: ImportProgress) -> None:
        """Upsert an import's valid staging records (`imports.STAGING_COLUMNS`) by external id."""
        ...

    def loaded(self, chunk: int) -> AsyncIterator[list[tuple[bool, StoredAccount]]]:
        """Every account the load wrote, with whether it was new, `chunk` at a time."""
        ...

    async def refresh_statistics(self) -> None:
        """After a bulk load: the planner's statistics and the visibility map, outside the transaction."""
        ...


class Contacts(Protocol):
    async def for_person(
        self, *, email: str, account_id: str, first_name: str | None, last_name: str | None, title: str | None
    ) -> str:
        """The contact with this email (one email, one contact), created on `account_id` if new."""
        ...

    async def rename(self, email: str, person: dict[str, Any]) -> None: ...

    async def erase(self, contact_ids: list[str], email_hash: str) -> list[str]:
        """Anonymise these contacts and the one whose email has this hash; their ids."""
        ...


class Matches(Protocol):
    async def lock_lead(self, lead_id: str) -> None:
        """Serialise a lead's handlers, whose events arrive on different topics."""
        ...

    async def get(self, lead_id: str) -> Match | None: ...

    async def put(self, match: Match) -> None: ...

    async def put_if_absent(self, match: Match) -> None: ...

    async def reject(self, lead_id: str, explanation: str) -> None:
        """The lead's decision becomes `rejected`, on no account, with why."""
        ...

    async def take_early_changes(self, lead_id: str) -> dict[str, Any] | None:
        """Person changes whose `lead.updated` came before the lead's `lead.created`, removed."""
        ...

    async def keep_early_changes(self, lead_id: str, changes: dict[str, Any]) -> None: ...

    async def field_versions(self, lead_id: str) -> dict[str, int]:
        """The version of the `lead.updated` that last set each person field of the lead."""
        ...

    async def put_field_versions(self, lead_id: str, versions: dict[str, int]) -> None: ...

    async def erase(self, lead_ids: list[str]) -> list[str]:
        """Mark these leads erased (a `lead.created` arriving later is then ignored), their early
        changes gone; the contacts they were converted to."""
        ...


class ReviewQueue(Protocol):
    async def add(self, item: ReviewItem) -> None: ...

    async def get(self, item_id: str, *, lock: bool = False) -> ReviewItem | None: ...

    async def list(self, where: ReviewFilter) -> list[ReviewItem]: ...

    async def save(self, item: ReviewItem) -> None: ...

    async def erase(self, lead_ids: Sequence[str], at: datetime) -> None:
        """The lead copied into these leads' items emptied; an open item closed as erased."""
        ...


class RoutingCounts(Protocol):
    async def of_pool(self, pool: str, turn: int) -> dict[str, int]:
        """How many accounts each member was given in the pool's turn, locked until commit."""
        ...

    async def count(self, pool: str, turn: int, owner: str) -> None: ...


class Teams(Protocol):
    """The reps and pools routing reads, as `PUT`/`PATCH` wrote them."""

    async def rep(self, rep_id: str, *, lock: bool = False) -> StoredRep | None: ...

    async def reps(self, rep_ids: Sequence[str]) -> list[StoredRep]: ...

    async def all_reps(self, team: str | None, limit: int, offset: int) -> list[StoredRep]: ...

    async def save_rep(self, rep: StoredRep) -> None: ...

    async def pool(self, pool_id: str, *, lock: bool = False) -> StoredPool | None: ...

    async def pools(self, team: str | None) -> list[StoredPool]: ...

    async def save_pool(self, pool: StoredPool) -> None: ...


class Imports(Protocol):
    async def save(self, progress: ImportProgress) -> None:
        """Keep the import's report as it stands, where every replica reads it."""
        ...

    async def get(self, import_id: str) -> ImportProgress | None: ...


class MatcherUnitOfWork(UnitOfWork):
    accounts: Accounts
    contacts: Contacts
    matches: Matches
    review: ReviewQueue
    routing: RoutingCounts
    imports: Imports
    teams: Teams
