"""Attribution's unit of work: campaigns, the copies of people, touches and opps it keeps, the
stored attribution rows and the reports, as ports the adapters implement."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol, Self

from services.attribution.app.models import Campaign, LeadFacts, MembershipChange, OppChange, TouchIn
from services.attribution.domain.campaigns import Reference
from services.attribution.domain.models import ModelName
from services.attribution.domain.touches import Attribution, Opp, Touch
from shared.uow import UnitOfWork


class Campaigns(Protocol):
    async def get(self, campaign_id: str) -> Campaign | None: ...

    async def find(self, ref: Reference) -> Campaign | None:
        """By the platform's id (of that source first), else by name."""
        ...

    async def add(self, campaign: Campaign) -> bool:
        """False when a campaign already has its name or its (source, external id)."""
        ...

    async def save(self, campaign: Campaign) -> bool:
        """False when the new name or external id is another campaign's."""
        ...

    async def list(
        self, *, channel: str | None, program: str | None, limit: int, offset: int
    ) -> list[Campaign]: ...


class People(Protocol):
    async def lock(self, *, leads: Sequence[str] = (), contacts: Sequence[str] = ()) -> None:
        """Hold these people until the transaction ends, leads before contacts (opps come last, at
        the commit): a touch, a conversion and a membership change of one person arriving on
        different topics at once would otherwise each miss what the other has not committed."""
        ...

    async def created(self, lead_id: str, at: datetime, original_campaign_id: str | None) -> None: ...

    async def converted(self, lead_id: str, contact_id: str, account_id: str) -> None: ...

    async def contact_of(self, lead_id: str) -> str | None: ...

    async def is_erased(self, lead_id: str) -> bool: ...

    async def facts(self, contact_ids: Sequence[str]) -> list[LeadFacts]: ...

    async def erase(self, lead_ids: Sequence[str], contact_ids: Sequence[str]) -> list[str]:
        """Drop their touches and facts, keeping an erased mark per lead; their contact ids."""
        ...


class Touches(Protocol):
    async def add(self, touch: TouchIn) -> bool:
        """Once per touch id; False for a repeat."""
        ...

    async def around(
        self, account_ids: Sequence[str], contact_ids: Sequence[str], since: datetime
    ) -> list[tuple[str | None, Touch]]:
        """Since `since`, the touches of these accounts' people and of these contacts, with the
        account of each touch's person."""
        ...


class Opps(Protocol):
    async def apply(self, change: OppChange) -> None:
        """Record what the event says: the copy, and its amount and stage history."""
        ...

    async def as_of(self, opp_ids: Sequence[str], at: datetime | None) -> list[Opp]:
        """The opps as they stood at `at` (now when None): created by then, amount and close then."""
        ...

    async def change_member(self, change: MembershipChange) -> None:
        """Close the member's current interval and open one in its new state (history kept)."""
        ...

    async def confirmed(self, opp_ids: Sequence[str], at: datetime | None) -> dict[str, set[str]]:
        """Per opp, its confirmed members at `at` (now when None)."""
        ...

    async def of_contacts(self, contact_ids: Sequence[str]) -> list[str]:
        """The opps where these contacts are confirmed members now."""
        ...

    def ids(
        self,
        *,
        opp_type: str | None,
        created_before: datetime | None,
        batch: int,
        created_from: datetime | None = None,
    ) -> AsyncIterator[list[str]]:
        """Every opp id (of a type, created in a period), in batches."""
        ...


class Credits(Protocol):
    async def lock(self, opp_ids: Sequence[str]) -> None:
        """Hold these opps until the transaction ends: two events about one opp at once would
        otherwise each store an attribution that misses the other's change."""
        ...

    async def replace(self, opp_ids: Sequence[str], attributions: Sequence[Attribution]) -> None:
        """The stored attribution rows of these opps become these (and their pre-aggregates follow)."""
        ...

    async def reconcile(self) -> None:
        """The pre-aggregates anew from the stored rows."""
        ...

    async def regroup(self, campaign_id: str, *, channel: str | None, program: str | None) -> None:
        """The campaign's opps count under its new channel and program in the pre-aggregates.
        Before the campaign is saved: it waits for the refreshes in flight and holds the next ones
        until the commit."""
        ...


class Reports(Protocol):
    async def influence(
        self,
        *,
        model: ModelName,
        group_by: str,
        opp_type: str | None,
        start: datetime | None,
        end: datetime | None,
        staged: bool = False,
        campaign_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Per group, in cents: opps and pipeline sourced and influenced, attributed pipeline and
        won revenue; from the stored rows, or from those `stage` put aside (an as-of report)."""
        ...

    async def stage(self, attributions: Sequence[Attribution]) -> None:
        """Rows computed for a past date, for `influence(staged=True)` in this transaction."""
        ...

    def credits(
        self, *, opp_type: str | None, start: datetime | None, end: datetime | None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The stored rows with their campaign's name, channel and program, in batches (BI export)."""
        ...

    async def campaign_opps(
        self, campaign_id: str, *, model: ModelName, limit: int
    ) -> list[dict[str, Any]]: ...


class AttributionUnitOfWork(UnitOfWork):
    """Opps an event affects are re-attributed once, just before the commit: a consumer's batch
    of events about one opp recomputes it once, and locks all its opps in one sorted statement."""

    campaigns: Campaigns
    people: People
    touches: Touches
    opps: Opps
    credits: Credits
    reports: Reports

    _stale: set[str] | None = None
    _refresh: Callable[[list[str]], Awaitable[None]] | None = None

    async def __aenter__(self) -> Self:
        self._stale, self._refresh = None, None
        return await super().__aenter__()

    def mark_stale(self, opp_ids: Iterable[str], refresh: Callable[[list[str]], Awaitable[None]]) -> None:
        self._stale = (self._stale or set()) | set(opp_ids)
        self._refresh = refresh

    async def commit(self) -> None:
        stale, refresh = self._stale, self._refresh
        self._stale, self._refresh = None, None
        if stale and refresh is not None:
            await refresh(sorted(stale))
        await super().commit()
