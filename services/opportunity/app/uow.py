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
    IdentifiedPerson,
    Member,
    OppFilter,
    Opportunity,
    RoleChange,
    StageMove,
)
from services.opportunity.domain.pipelines import Pipeline, Pipelines
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

    async def record_field_change(self, change: FieldChange) -> None: ...

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

    async def put_contact(self, contact: ContactCopy) -> None: ...

    async def erase_people(self, lead_ids: list[str], contact_ids: list[str], email_hash: str) -> list[str]:
        """Anonymise the copies of these people's contacts (found by lead, by id or by the email's
        hash): they stay in the buying groups they belong to, without a name. Their ids."""
        ...

    async def put_score(self, contact_id: str, score: float, version: int) -> None:
        """Applied only if not older than the score held."""
        ...


class Reports(Protocol):
    async def funnel_counts(self, pipeline: Pipeline, cohort: Cohort) -> dict[str, Any]: ...

    async def velocity(self, pipeline: Pipeline, cohort: Cohort) -> list[dict[str, Any]]: ...

    async def aging(
        self, pipeline: Pipeline, cohort: Cohort, now: datetime, limit: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]: ...

    async def roles_of_open_opps(self, cohort: Cohort, limit: int) -> list[dict[str, Any]]: ...

    def export_rows(self, pipelines: Pipelines, cohort: Cohort | None) -> AsyncIterator[dict[str, Any]]: ...


class OpportunityUnitOfWork(UnitOfWork):
    opps: Opps
    groups: BuyingGroups
    copies: Copies
    identified: Identified
    activity: Activity
    reports: Reports
