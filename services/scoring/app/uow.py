"""Scoring's unit of work: people and their engagement, and the accounts and deals it keeps
copies of, as ports the adapters implement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

from services.scoring.app.models import AccountFacts, Deal, LifecycleChange, Membership, Person, SegmentMember
from services.scoring.domain.segments import Seat
from shared.uow import UnitOfWork


class People(Protocol):
    async def locked(
        self, lead_id: str, model_version: str, *, points_on: tuple[date, str] | None = None
    ) -> tuple[Person, float]:
        """The person a lead scores (itself, or the person it was merged into), created if new,
        locked; and the points already earned on `points_on` (a day, a kind) for the daily caps."""
        ...

    async def find(self, any_id: str, *, lock: bool = False) -> Person | None:
        """A person by lead id, merged lead id or contact id."""
        ...

    async def by_contacts(self, contact_ids: Sequence[str], *, lock: bool = False) -> list[Person]: ...

    async def holding_contact(self, contact_id: str, *, other_than: str) -> Person | None:
        """Another person already converted to this contact, locked."""
        ...

    async def of_account(self, account_id: str) -> list[Person]:
        """The account's contacts, locked, in a stable order."""
        ...

    async def due(self, now: datetime, limit: int) -> list[Person]:
        """People whose decayed score is news by `now`, locked (SKIP LOCKED: replicas share them)."""
        ...

    async def save(self, person: Person) -> None: ...

    async def absorb(self, into: str, merged: str) -> None:
        """Move `merged`'s engagements, daily points, lifecycle history and aliases to `into`,
        then delete it; `merged` becomes an alias of `into`."""
        ...

    async def record_change(self, change: LifecycleChange) -> None: ...

    async def changes(self, person_id: str) -> list[LifecycleChange]: ...

    async def training_rows(self) -> list[dict[str, Any]]:
        """Per person and engagement kind: its facts, when it first reached opportunity (or
        customer), and the engagement before that moment, ordered by person."""
        ...

    async def lock_contacts(self, contact_ids: Sequence[str]) -> None:
        """Serialise a conversion and the buying-group events of the same contacts: arriving on
        different topics at once, each would otherwise miss what the other has not committed yet."""
        ...


class Engagements(Protocol):
    async def record(
        self,
        *,
        engagement_id: str,
        person_id: str,
        kind: str,
        points: float,
        at: datetime,
        capped: bool,
        campaign: tuple[str | None, str | None] = (None, None),
    ) -> bool:
        """Once per engagement id, with its campaign (as sent, and the platform's id); counts the
        points towards the day's cap when `capped`."""
        ...

    async def totals(self, person_id: str) -> tuple[dict[str, int], float]:
        """Engagements per kind, and the points they earned."""
        ...


class Accounts(Protocol):
    async def get(self, account_id: str) -> AccountFacts | None: ...

    async def put(self, account: AccountFacts) -> bool:
        """False when the copy held is newer (nothing written)."""
        ...


class Deals(Protocol):
    async def get(self, opp_id: str) -> Deal | None: ...

    async def put(self, opp_id: str, account_id: str, stage: str | None) -> None:
        """Record the deal (and its stage, when known)."""
        ...

    async def any_of_account(self, account_id: str) -> bool: ...

    async def members(self, opp_id: str) -> list[Membership]: ...

    async def open_members_of_account(self, account_id: str) -> list[Membership]: ...

    async def put_member(self, member: Membership) -> None: ...

    async def remove_member(self, opp_id: str, contact_id: str) -> None: ...

    async def stage_of_contact(self, contact_id: str) -> str | None:
        """`customer` when the contact is a confirmed member of a won deal's buying group,
        `opportunity` of an open one (a potential member is neither)."""
        ...


class Erasure(Protocol):
    async def erase(
        self, lead_ids: list[str], contact_ids: list[str], email_hash: str, model_version: str
    ) -> list[str]:
        """Empty the scores of these people (by lead, contact or the email's hash) and drop their
        engagements and history; a lead not seen yet gets an erased row. Their person and
        contact ids."""
        ...


class Segments(Protocol):
    async def seats(self, contact_id: str) -> list[Seat]:
        """The contact's places in buying groups, with each opp's stage and covered roles."""
        ...

    async def of_person(self, person_id: str) -> tuple[dict[str, dict[str, Any]], datetime | None]:
        """The segments the person is in, with why, and their due time (one round trip)."""
        ...

    async def put(self, person_id: str, segment_id: str, detail: dict[str, Any], now: datetime) -> None: ...

    async def remove(self, person_id: str, segment_id: str) -> None: ...

    async def set_due(self, person_id: str, due_at: datetime | None) -> None: ...

    async def due(self, now: datetime, limit: int) -> list[str]:
        """People whose segments time may have changed by `now`, locked (SKIP LOCKED)."""
        ...

    async def counts(self) -> dict[str, int]: ...

    async def members(self, segment_id: str, *, limit: int, after: str | None) -> list[SegmentMember]:
        """In person id order, after `after`."""
        ...


class ScoringUnitOfWork(UnitOfWork):
    people: People
    erasure: Erasure
    engagements: Engagements
    accounts: Accounts
    deals: Deals
    segments: Segments
