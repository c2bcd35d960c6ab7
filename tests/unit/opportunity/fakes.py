"""The opportunity service's unit of work in memory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.opportunity.app.models import (
    AccountCopy,
    Breach,
    ContactCopy,
    FieldChange,
    Handoff,
    IdentifiedPerson,
    Member,
    OppFilter,
    Opportunity,
    RoleChange,
    StageMove,
)
from services.opportunity.app.uow import OpportunityUnitOfWork, Sla
from shared.events.teams import PoolFields, RepFields
from tests.support.fakes import FakeUnitOfWork


class FakeOpps:
    """The unique rules of the tables: one open acquisition opp per account, one renewal per won opp."""

    def __init__(self, members: dict[tuple[str, str], Member]) -> None:
        self.rows: dict[str, Opportunity] = {}
        self.history: list[StageMove] = []
        self.changes: list[FieldChange] = []
        self._members = members

    async def get(self, opp_id: str, *, lock: bool = False) -> Opportunity | None:
        found = self.rows.get(opp_id)
        return found.model_copy(deep=True) if found else None

    async def add(self, opp: Opportunity) -> bool:
        clash = any(
            (
                o.type == opp.type == "acquisition"
                and o.account_id == opp.account_id
                and o.closed_at is None
                and o.buying_group_key == opp.buying_group_key
            )
            or (
                opp.type == o.type == "renewal" and opp.source_opp_id and o.source_opp_id == opp.source_opp_id
            )
            for o in self.rows.values()
        )
        if not clash:
            self.rows[opp.opp_id] = opp.model_copy(deep=True)
        return not clash

    async def save(self, opp: Opportunity) -> None:
        self.rows[opp.opp_id] = opp.model_copy(deep=True)

    async def find(self, where: OppFilter) -> list[Opportunity]:
        return [o for o in self.rows.values() if where.account_id in (None, o.account_id)]

    async def open_of_type(self, account_id: str, opp_type: str, *, lock: bool = False) -> Opportunity | None:
        return next(
            (
                o.model_copy(deep=True)
                for o in self.rows.values()
                if o.account_id == account_id and o.type == opp_type and o.closed_at is None
            ),
            None,
        )

    async def open_acquisition(self, account_id: str, key: str | None) -> Opportunity | None:
        found = [o for o in await self.open_of_account(account_id) if o.type == "acquisition"]
        return next((o for o in found if o.buying_group_key == key), None)

    async def open_of_account(self, account_id: str) -> list[Opportunity]:
        found = [o for o in self.rows.values() if o.account_id == account_id and o.closed_at is None]
        return [o.model_copy(deep=True) for o in sorted(found, key=lambda o: o.created_at)]

    async def won_acquisition(self, account_id: str) -> bool:
        return any(
            o.account_id == account_id and o.type == "acquisition" and o.stage == "closed_won"
            for o in self.rows.values()
        )

    async def record_field_changes(self, changes: Sequence[FieldChange]) -> None:
        self.changes += changes

    async def field_changes(self, opp_id: str) -> list[FieldChange]:
        return [c for c in self.changes if c.opp_id == opp_id]

    async def open_with_member(self, contact_id: str) -> list[Opportunity]:
        ids = sorted(opp_id for opp_id, contact in self._members if contact == contact_id)
        return [self.rows[i].model_copy(deep=True) for i in ids if self.rows[i].closed_at is None]

    async def record_move(self, move: StageMove) -> None:
        self.history.append(move)

    async def moves(self, opp_ids: Sequence[str]) -> list[StageMove]:
        return [m for m in self.history if m.opp_id in opp_ids]

    async def breaches(self, opp_ids: Sequence[str]) -> list[Breach]:
        return []

    async def record_breaches(self, slas: Sequence[Sla], now: datetime, batch: int) -> list[Breach]:
        raise NotImplementedError("the scan is SQL: tested against PostgreSQL")


class FakeBuyingGroups:
    def __init__(
        self, members: dict[tuple[str, str], Member], opps: FakeOpps, scores: dict[str, float]
    ) -> None:
        self.rows = members
        self.history: list[RoleChange] = []
        self._opps, self._scores = opps, scores

    async def member(self, opp_id: str, contact_id: str, *, lock: bool = False) -> Member | None:
        return self.rows.get((opp_id, contact_id))

    async def members(self, opp_ids: Sequence[str]) -> list[Member]:
        return sorted((m for m in self.rows.values() if m.opp_id in opp_ids), key=lambda m: m.added_at)

    async def add(self, member: Member) -> None:
        self.rows[(member.opp_id, member.contact_id)] = member

    async def save(self, member: Member) -> None:
        self.rows[(member.opp_id, member.contact_id)] = member

    async def remove(self, opp_id: str, contact_id: str) -> None:
        del self.rows[(opp_id, contact_id)]

    async def demote_primary(self, opp_id: str) -> list[Member]:
        demoted = [m for m in self.rows.values() if m.opp_id == opp_id and m.is_primary]
        for m in demoted:
            self.rows[(opp_id, m.contact_id)] = m.model_copy(update={"is_primary": False})
        return demoted

    async def record(self, change: RoleChange) -> None:
        self.history.append(change)

    async def changes(self, opp_id: str) -> list[RoleChange]:
        return [c for c in self.history if c.opp_id == opp_id]

    async def of_contact(self, contact_id: str) -> list[tuple[Opportunity, Member]]:
        return [(self._opps.rows[m.opp_id], m) for m in self.rows.values() if m.contact_id == contact_id]

    async def best_score(self, opp_id: str) -> float | None:
        scores = [
            self._scores[m.contact_id]
            for m in self.rows.values()
            if m.opp_id == opp_id and m.contact_id in self._scores
        ]
        return max(scores, default=None)


class FakeCopies:
    def __init__(self, scores: dict[str, float]) -> None:
        self.accounts: dict[str, AccountCopy] = {}
        self.contacts: dict[str, ContactCopy] = {}
        self.scores = scores
        self.score_versions: dict[str, int] = {}

    async def account(self, account_id: str) -> AccountCopy | None:
        return self.accounts.get(account_id)

    async def put_account(self, account: AccountCopy) -> None:
        held = self.accounts.get(account.account_id)
        if held is None or held.version <= account.version:
            self.accounts[account.account_id] = account

    async def contact(self, contact_id: str) -> ContactCopy | None:
        return self.contacts.get(contact_id)

    async def find_contacts(
        self, *, ids: Sequence[str] = (), account_id: str | None = None
    ) -> list[ContactCopy]:
        return [
            c for c in self.contacts.values() if (c.contact_id in ids if ids else c.account_id == account_id)
        ]

    async def contact_by_email(self, email: str) -> ContactCopy | None:
        return next((c for c in self.contacts.values() if c.email == email), None)

    async def put_contact(self, contact: ContactCopy) -> None:
        self.contacts[contact.contact_id] = contact

    async def put_score(self, contact_id: str, score: float, version: int) -> None:
        if self.score_versions.get(contact_id, -1) <= version:
            self.scores[contact_id], self.score_versions[contact_id] = score, version


class FakeIdentified:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], IdentifiedPerson] = {}

    async def pending(self, email: str) -> list[IdentifiedPerson]:
        return [p for p in self.rows.values() if p.email == email and p.status == "pending"]

    async def of_opp(self, opp_id: str) -> list[IdentifiedPerson]:
        return [p for p in self.rows.values() if p.opp_id == opp_id]

    async def put(self, person: IdentifiedPerson) -> None:
        self.rows[(person.opp_id, person.email)] = person


class FakeActivity:
    def __init__(self) -> None:
        self.engagements: dict[str, tuple[str, str, datetime]] = {}
        self.leads: dict[str, tuple[str, str]] = {}

    async def record_engagement(self, engagement_id: str, lead_id: str, kind: str, at: datetime) -> bool:
        if engagement_id in self.engagements:
            return False
        self.engagements[engagement_id] = (lead_id, kind, at)
        return True

    async def link_lead(self, lead_id: str, contact_id: str, account_id: str) -> None:
        self.leads[lead_id] = (contact_id, account_id)

    async def account_of_lead(self, lead_id: str) -> str | None:
        return self.leads[lead_id][1] if lead_id in self.leads else None

    async def engaged_people(self, account_id: str, since: datetime, kinds: Sequence[str]) -> int:
        return len(
            {
                self.leads[lead][0]
                for lead, kind, at in self.engagements.values()
                if lead in self.leads and self.leads[lead][1] == account_id and at >= since and kind in kinds
            }
        )


class FakeTeams:
    def __init__(self) -> None:
        self.rep_rows: dict[str, tuple[RepFields, int]] = {}
        self.pool_rows: dict[str, tuple[PoolFields, int]] = {}

    async def put_rep(self, rep: RepFields, version: int) -> None:
        if rep.rep_id not in self.rep_rows or self.rep_rows[rep.rep_id][1] <= version:
            self.rep_rows[rep.rep_id] = (RepFields.model_validate(rep.model_dump()), version)

    async def put_pool(self, pool: PoolFields, version: int) -> None:
        if pool.pool_id not in self.pool_rows or self.pool_rows[pool.pool_id][1] <= version:
            self.pool_rows[pool.pool_id] = (PoolFields.model_validate(pool.model_dump()), version)

    async def reps(self, rep_ids: Sequence[str]) -> list[RepFields]:
        return [self.rep_rows[r][0] for r in rep_ids if r in self.rep_rows]

    async def pools(self, team: str) -> list[PoolFields]:
        return [p for p, _ in sorted(self.pool_rows.values(), key=lambda v: v[0].pool_id) if p.team == team]


class FakeHandoffs:
    def __init__(self) -> None:
        self.rows: dict[str, Handoff] = {}

    async def add(self, handoff: Handoff) -> None:
        self.rows[handoff.handoff_id] = handoff

    async def save(self, handoff: Handoff) -> None:
        self.rows[handoff.handoff_id] = handoff

    def _sorted(self) -> list[Handoff]:
        return sorted(self.rows.values(), key=lambda h: h.assigned_at)

    async def current_of_opp(self, opp_id: str) -> Handoff | None:
        return next((h for h in reversed(self._sorted()) if h.opp_id == opp_id and h.status in CURRENT), None)

    async def current_of_contact(self, contact_id: str) -> Handoff | None:
        found = (h for h in reversed(self._sorted()) if h.contact_id == contact_id and h.status in CURRENT)
        return next(found, None)

    async def current_of_opps(self, opp_ids: Sequence[str]) -> list[Handoff]:
        found = [await self.current_of_opp(opp_id) for opp_id in opp_ids]
        return [h for h in found if h is not None]

    async def of_opp(self, opp_id: str) -> list[Handoff]:
        return [h for h in self._sorted() if h.opp_id == opp_id]

    async def of_contact(self, contact_id: str) -> list[Handoff]:
        return [h for h in self._sorted() if h.contact_id == contact_id]

    async def turn_counts(self, pool_id: str, turn: int) -> dict[str, int]:
        counted = Counter(
            h.owner
            for h in self.rows.values()
            if (h.pool_id, h.turn) == (pool_id, turn) and h.rule in ("round_robin", "sticky") and h.owner
        )
        return dict(counted)

    async def open_work(self, rep_ids: Sequence[str]) -> dict[str, int]:
        counted = Counter(h.owner for h in self.rows.values() if h.status in CURRENT and h.owner in rep_ids)
        return {owner: n for owner, n in counted.items() if owner}

    async def last_owner(self, account_id: str, pool_id: str) -> str | None:
        found = [h for h in self._sorted() if (h.account_id, h.pool_id) == (account_id, pool_id)]
        return next((h.owner for h in reversed(found) if h.status != "reassigned"), None)

    async def owners(self, opp_id: str | None, contact_id: str | None, stage: str) -> set[str]:
        return {
            h.owner
            for h in self.rows.values()
            if h.owner
            and h.stage == stage
            and h.status == "reassigned"
            and (h.opp_id == opp_id if opp_id else h.contact_id == contact_id)
        }

    async def overdue(self, kind: str, now: datetime, batch: int) -> list[Handoff]:
        due = [
            h
            for h in self.rows.values()
            if h.kind == kind
            and h.status == "open"
            and h.escalated_at is None
            and h.due_at
            and h.due_at < now
        ]
        return due[:batch]

    async def escalated_before(self, kind: str, before: datetime, batch: int) -> list[Handoff]:
        found = [
            h
            for h in self.rows.values()
            if h.kind == kind
            and h.status == "open"
            and h.escalated_at is not None
            and h.escalated_at < before
        ]
        return found[:batch]


CURRENT = ("open", "accepted")


class FakeOpportunityUnitOfWork(FakeUnitOfWork, OpportunityUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        scores: dict[str, float] = {}
        members: dict[tuple[str, str], Member] = {}
        self.opps = FakeOpps(members)
        self.groups = FakeBuyingGroups(members, self.opps, scores)
        self.copies = FakeCopies(scores)
        self.identified = FakeIdentified()
        self.activity = FakeActivity()
        self.teams = FakeTeams()
        self.handoffs = FakeHandoffs()
        self.reports: Any = None  # report reads are SQL: tested against PostgreSQL
