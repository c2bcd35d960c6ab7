"""The opportunity service's unit of work: opps, buying groups, local copies and report reads,
as ports the adapters implement."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from services.opportunity.app.models import (
    AccountCopy,
    Breach,
    Cohort,
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
from services.opportunity.domain.pipelines import Pipeline, Pipelines
from shared.events.teams import PoolFields, RepFields
from shared.uow import UnitOfWork

Sla = tuple[str, str, float]  # type, stage, hours


class Opps(Protocol):
    async def get(self, opp_id: str, *, lock: bool = False) -> Opportunity | None: ...

    async def add(self, opp: Opportunity) -> bool:
        """False when a unique rule says it exists (one renewal per won opp...): nothing written."""
        ...

    async def save(self, opp: Opportunity) -> None: ...

    async def find(self, where: OppFilter) -> list[Opportunity]: ...

    async def open_of_type(
        self, account_id: str, opp_type: str, *, lock: bool = False
    ) -> Opportunity | None: ...

    async def open_acquisition(self, account_id: str, key: str | None) -> Opportunity | None:
        """The account's open Acquisition opp of this buying group, locked."""
        ...

    async def open_of_account(self, account_id: str) -> list[Opportunity]:
        """The account's open opps, locked, oldest first."""
        ...

    async def won_acquisition(self, account_id: str) -> bool:
        """Whether an Acquisition opp of the account was won (it is a customer, whatever the
        account copy says yet)."""
        ...

    async def record_field_changes(self, changes: Sequence[FieldChange]) -> None:
        """In one statement, in order."""
        ...

    async def field_changes(self, opp_id: str) -> list[FieldChange]: ...

    async def open_with_member(self, contact_id: str) -> list[Opportunity]:
        """The open opps whose buying group holds the contact, locked, in a stable order."""
        ...

    async def record_move(self, move: StageMove) -> None: ...

    async def moves(self, opp_ids: Sequence[str]) -> list[StageMove]: ...

    async def breaches(self, opp_ids: Sequence[str]) -> list[Breach]: ...

    async def record_breaches(self, slas: Sequence[Sla], now: datetime, batch: int) -> list[Breach]:
        """Record up to `batch` stays overdue as of `now` that have no breach yet (SKIP LOCKED:
        replicas share the work; a stay breaches once)."""
        ...

    async def escalate_breaches(
        self, slas: Sequence[Sla], factor: float, now: datetime, batch: int
    ) -> list[Breach]:
        """Mark escalated up to `batch` breaches whose stay is still on `factor` x its SLA after
        the breach (SKIP LOCKED; a breach escalates once)."""
        ...


class BuyingGroups(Protocol):
    async def member(self, opp_id: str, contact_id: str, *, lock: bool = False) -> Member | None: ...

    async def members(self, opp_ids: Sequence[str]) -> list[Member]:
        """Oldest member first."""
        ...

    async def add(self, member: Member) -> None: ...

    async def save(self, member: Member) -> None: ...

    async def remove(self, opp_id: str, contact_id: str) -> None: ...

    async def demote_primary(self, opp_id: str) -> list[Member]:
        """The group has no primary member afterwards; returns the ones that were."""
        ...

    async def record(self, change: RoleChange) -> None: ...

    async def changes(self, opp_id: str) -> list[RoleChange]: ...

    async def of_contact(self, contact_id: str) -> list[tuple[Opportunity, Member]]: ...

    async def best_score(self, opp_id: str) -> float | None:
        """The highest lead score among the group's members."""
        ...


class Identified(Protocol):
    """People someone put on an opp before they were contacts (research-based identification)."""

    async def pending(self, email: str) -> list[IdentifiedPerson]: ...

    async def of_opp(self, opp_id: str) -> list[IdentifiedPerson]: ...

    async def put(self, person: IdentifiedPerson) -> None: ...

    async def erase(self, email_hash: str) -> None:
        """Forget whom anyone identified under the email with this hash."""
        ...


class Activity(Protocol):
    """What the account-engagement automation reads: who engaged, and which contact a lead is."""

    async def record_engagement(self, engagement_id: str, lead_id: str, kind: str, at: datetime) -> bool: ...

    async def link_lead(self, lead_id: str, contact_id: str, account_id: str) -> None: ...

    async def account_of_lead(self, lead_id: str) -> str | None: ...

    async def engaged_people(self, account_id: str, since: datetime, kinds: Sequence[str]) -> int:
        """Distinct contacts of the account with an engagement of `kinds` since `since`."""
        ...


class Copies(Protocol):
    """What the service keeps of others' records, fed by their events."""

    async def account(self, account_id: str) -> AccountCopy | None: ...

    async def put_account(self, account: AccountCopy) -> None:
        """Applied only if not older than the copy held."""
        ...

    async def contact(self, contact_id: str) -> ContactCopy | None: ...

    async def contact_by_email(self, email: str) -> ContactCopy | None: ...

    async def find_contacts(
        self, *, ids: Sequence[str] = (), account_id: str | None = None
    ) -> list[ContactCopy]:
        """The copies of these contacts, or of the account's (at most 500), by name."""
        ...

    async def put_contact(self, contact: ContactCopy) -> None: ...

    async def erase_people(self, lead_ids: list[str], contact_ids: list[str], email_hash: str) -> list[str]:
        """Anonymise the copies of these people's contacts (found by lead, by id or by the email's
        hash): they stay in the buying groups they belong to, without a name. Their ids."""
        ...

    async def put_score(self, contact_id: str, score: float, version: int) -> None:
        """Applied only if not older than the score held."""
        ...


class Teams(Protocol):
    """The matcher's reps and pools, copied from `rep.updated` and `pool.updated`."""

    async def put_rep(self, rep: RepFields, version: int) -> None:
        """Applied only if not older than the copy held."""
        ...

    async def put_pool(self, pool: PoolFields, version: int) -> None:
        """Applied only if not older than the copy held."""
        ...

    async def reps(self, rep_ids: Sequence[str]) -> list[RepFields]: ...

    async def pools(self, team: str) -> list[PoolFields]: ...


class Handoffs(Protocol):
    async def add(self, handoff: Handoff) -> None: ...

    async def save(self, handoff: Handoff) -> None: ...

    async def current_of_opp(self, opp_id: str) -> Handoff | None:
        """The opp's handoff still open or accepted (not closed, not reassigned), locked."""
        ...

    async def current_of_contact(self, contact_id: str) -> Handoff | None:
        """The person's lead route still open or accepted, locked."""
        ...

    async def current_of_opps(self, opp_ids: Sequence[str]) -> list[Handoff]:
        """Each opp's handoff still open or accepted, not locked: what a list shows."""
        ...

    async def of_opp(self, opp_id: str) -> list[Handoff]:
        """Oldest first."""
        ...

    async def of_contact(self, contact_id: str) -> list[Handoff]:
        """Oldest first."""
        ...

    async def turn_counts(self, pool_id: str, turn: int) -> dict[str, int]:
        """Handoffs each member was given in the pool's turn, the pool locked until commit."""
        ...

    async def open_work(self, rep_ids: Sequence[str]) -> dict[str, int]:
        """Open handoffs each rep holds."""
        ...

    async def last_owner(self, account_id: str, pool_id: str) -> str | None:
        """Who the pool last gave this account's work to (sticky pools)."""
        ...

    async def owners(self, opp_id: str | None, contact_id: str | None, stage: str) -> set[str]:
        """Everyone handed this stay's work already (reassignment goes on to someone new)."""
        ...

    async def overdue(self, kind: str, now: datetime, batch: int) -> list[Handoff]:
        """Open, unescalated handoffs of `kind` past their due time, oldest due first (not locked:
        the caller locks each as every other path does, the opp first)."""
        ...

    async def escalated_before(self, kind: str, before: datetime, batch: int) -> list[Handoff]:
        """Open handoffs of `kind` escalated before `before` (not locked, as `overdue`)."""
        ...


class Reports(Protocol):
    async def funnel_counts(self, pipeline: Pipeline, cohort: Cohort) -> dict[str, Any]: ...

    async def velocity(self, pipeline: Pipeline, cohort: Cohort) -> list[dict[str, Any]]: ...

    async def aging(
        self, pipeline: Pipeline, cohort: Cohort, now: datetime, limit: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]: ...

    async def roles_of_open_opps(self, cohort: Cohort, limit: int) -> list[dict[str, Any]]: ...

    def export_rows(self, pipelines: Pipelines, cohort: Cohort | None) -> AsyncIterator[dict[str, Any]]: ...

    async def acceptance(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Handoffs assigned in [start, end) per kind and team, and per person: how many, accepted,
        waiting, escalated, reassigned away; median and p90 hours to accept."""
        ...

    async def stage_outcomes(
        self, start: datetime, end: datetime
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Per kind and stage (or route): handoffs, escalated, reassigned, unowned; and SLA breaches
        per opp type and stage, in [start, end)."""
        ...

    async def pool_assignments(self, pool_id: str | None) -> list[dict[str, Any]]:
        """Round-robin assignments per pool, turn and member."""
        ...


class OpportunityUnitOfWork(UnitOfWork):
    opps: Opps
    groups: BuyingGroups
    copies: Copies
    identified: Identified
    activity: Activity
    reports: Reports
    teams: Teams
    handoffs: Handoffs
