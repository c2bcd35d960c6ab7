"""Scoring's unit of work in memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from services.scoring.app.models import AccountFacts, Deal, LifecycleChange, Membership, Person, SegmentMember
from services.scoring.app.uow import ScoringUnitOfWork
from services.scoring.domain.segments import Seat
from tests.support.fakes import FakeUnitOfWork


class FakePeople:
    def __init__(self) -> None:
        self.rows: dict[str, Person] = {}
        self.aliases: dict[str, str] = {}
        self.history: list[LifecycleChange] = []
        self.daily: dict[tuple[str, date, str], float] = {}

    def _copy(self, person: Person) -> Person:
        return person.model_copy(deep=True)

    async def locked(
        self, lead_id: str, model_version: str, *, points_on: tuple[date, str] | None = None
    ) -> tuple[Person, float]:
        person_id = self.aliases.get(lead_id, lead_id)
        person = self.rows.setdefault(person_id, Person(person_id=person_id, model_version=model_version))
        used = self.daily.get((person_id, *points_on), 0.0) if points_on else 0.0
        return self._copy(person), used

    async def find(self, any_id: str, *, lock: bool = False) -> Person | None:
        person_id = self.aliases.get(any_id, any_id)
        found = self.rows.get(person_id) or next(
            (p for p in self.rows.values() if p.contact_id == any_id), None
        )
        return self._copy(found) if found else None

    async def by_contacts(self, contact_ids: Sequence[str], *, lock: bool = False) -> list[Person]:
        return [
            self._copy(p)
            for p in sorted(self.rows.values(), key=lambda p: p.person_id)
            if p.contact_id in contact_ids
        ]

    async def holding_contact(self, contact_id: str, *, other_than: str) -> Person | None:
        found = next(
            (p for p in self.rows.values() if p.contact_id == contact_id and p.person_id != other_than), None
        )
        return self._copy(found) if found else None

    async def of_account(self, account_id: str) -> list[Person]:
        return [self._copy(p) for p in self.rows.values() if p.account_id == account_id]

    async def due(self, now: datetime, limit: int) -> list[Person]:
        due = [p for p in self.rows.values() if p.due_at is not None and p.due_at <= now]
        return [self._copy(p) for p in due[:limit]]

    async def save(self, person: Person) -> None:
        self.rows[person.person_id] = self._copy(person)

    async def absorb(self, into: str, merged: str) -> None:
        self.aliases = {lead: into if to == merged else to for lead, to in self.aliases.items()} | {
            merged: into
        }
        self.history = [
            c.model_copy(update={"person_id": into}) if c.person_id == merged else c for c in self.history
        ]
        del self.rows[merged]

    async def record_change(self, change: LifecycleChange) -> None:
        self.history.append(change)

    async def changes(self, person_id: str) -> list[LifecycleChange]:
        return [c for c in self.history if c.person_id == person_id]

    async def training_rows(self) -> list[dict[str, Any]]:
        raise NotImplementedError("the export's query is SQL: tested against PostgreSQL")

    async def lock_contacts(self, contact_ids: Sequence[str]) -> None:
        pass


class FakeEngagements:
    def __init__(self, people: FakePeople) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self._people = people

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
        if engagement_id in self.rows:
            return False
        self.rows[engagement_id] = {
            "person_id": person_id,
            "kind": kind,
            "points": points,
            "campaign": campaign,
        }
        if capped:
            key = (person_id, at.astimezone(UTC).date(), kind)
            self._people.daily[key] = self._people.daily.get(key, 0.0) + points
        return True

    async def totals(self, person_id: str) -> tuple[dict[str, int], float]:
        mine = [e for e in self.rows.values() if e["person_id"] == person_id]
        counts: dict[str, int] = {}
        for e in mine:
            counts[e["kind"]] = counts.get(e["kind"], 0) + 1
        return counts, sum(e["points"] for e in mine)


class FakeAccounts:
    def __init__(self) -> None:
        self.rows: dict[str, AccountFacts] = {}

    async def get(self, account_id: str) -> AccountFacts | None:
        return self.rows.get(account_id)

    async def put(self, account: AccountFacts) -> bool:
        held = self.rows.get(account.account_id)
        if held is not None and held.version > account.version:
            return False
        self.rows[account.account_id] = account
        return True


class FakeDeals:
    def __init__(self) -> None:
        self.rows: dict[str, Deal] = {}
        self.groups: dict[tuple[str, str], Membership] = {}

    async def get(self, opp_id: str) -> Deal | None:
        return self.rows.get(opp_id)

    async def put(self, opp_id: str, account_id: str, stage: str | None) -> None:
        held = self.rows.setdefault(opp_id, Deal(opp_id=opp_id, account_id=account_id))
        if stage is not None:
            closed = stage.startswith("closed")
            self.rows[opp_id] = held.model_copy(
                update={"stage": stage, "is_closed": closed, "is_won": stage == "closed_won"}
            )

    async def any_of_account(self, account_id: str) -> bool:
        return any(d.account_id == account_id for d in self.rows.values())

    async def members(self, opp_id: str) -> list[Membership]:
        return [m for (o, _), m in self.groups.items() if o == opp_id]

    async def open_members_of_account(self, account_id: str) -> list[Membership]:
        return [
            m
            for m in self.groups.values()
            if m.account_id == account_id and not self.rows[m.opp_id].is_closed
        ]

    async def put_member(self, member: Membership) -> None:
        self.groups[(member.opp_id, member.contact_id)] = member

    async def remove_member(self, opp_id: str, contact_id: str) -> None:
        self.groups.pop((opp_id, contact_id), None)

    async def stage_of_contact(self, contact_id: str) -> str | None:
        deals = [self.rows[o] for (o, c) in self.groups if c == contact_id]
        if any(d.is_won for d in deals):
            return "customer"
        return "opportunity" if any(not d.is_closed for d in deals) else None


class FakeSegments:
    def __init__(self, deals: FakeDeals) -> None:
        self.deals = deals
        self.rows: dict[tuple[str, str], SegmentMember] = {}
        self.due_at: dict[str, datetime] = {}

    async def seats(self, contact_id: str) -> list[Seat]:
        found = []
        for (opp_id, contact), member in sorted(self.deals.groups.items()):
            if contact != contact_id:
                continue
            deal = self.deals.rows[opp_id]
            covered = {
                m.role
                for (o, _), m in self.deals.groups.items()
                if o == opp_id and m.status == "confirmed" and m.role
            }
            found.append(
                Seat(
                    opp_id,
                    member.status,
                    member.role,
                    member.suggested_role,
                    deal.stage,
                    not deal.is_closed,
                    frozenset(covered),
                )
            )
        return found

    async def of_person(self, person_id: str) -> tuple[dict[str, dict[str, Any]], datetime | None]:
        return {s: m.detail for (s, p), m in self.rows.items() if p == person_id}, self.due_at.get(person_id)

    async def put(self, person_id: str, segment_id: str, detail: dict[str, Any], now: datetime) -> None:
        held = self.rows.get((segment_id, person_id))
        added = held.added_at if held else now
        self.rows[(segment_id, person_id)] = SegmentMember(
            segment_id=segment_id, person_id=person_id, detail=detail, added_at=added
        )

    async def remove(self, person_id: str, segment_id: str) -> None:
        self.rows.pop((segment_id, person_id), None)

    async def set_due(self, person_id: str, due_at: datetime | None) -> None:
        if due_at is None:
            self.due_at.pop(person_id, None)
        else:
            self.due_at[person_id] = due_at

    async def due(self, now: datetime, limit: int) -> list[str]:
        return sorted(p for p, at in self.due_at.items() if at <= now)[:limit]

    async def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for segment_id, _ in self.rows:
            found[segment_id] = found.get(segment_id, 0) + 1
        return found

    async def members(self, segment_id: str, *, limit: int, after: str | None) -> list[SegmentMember]:
        found = sorted((m for (s, _), m in self.rows.items() if s == segment_id), key=lambda m: m.person_id)
        return [m for m in found if after is None or m.person_id > after][:limit]

    def of(self, segment_id: str) -> set[str]:
        return {p for s, p in self.rows if s == segment_id}


class FakeScoringUnitOfWork(FakeUnitOfWork, ScoringUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.people = FakePeople()
        self.engagements = FakeEngagements(self.people)
        self.accounts = FakeAccounts()
        self.deals = FakeDeals()
        self.segments = FakeSegments(self.deals)
