"""MAP sync against the unit of work in memory and a MAP in memory: segment changes become list
operations, sent in order per person, rate limits wait without counting as failures, people the
MAP does not hold are skipped, refusals retried then failed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.outbound.app.handlers import on_event
from services.outbound.app.map_sync import MapFailure, Push, RateLimited, sync_due
from services.outbound.app.models import SyncLogEntry
from services.outbound.settings import OutboundSettings
from shared.events import PersonErased, SegmentMembershipChanged
from tests.support.fakes import envelope
from tests.unit.outbound.fakes import FakeOutboundUnitOfWork

SETTINGS = OutboundSettings(
    hubspot_access_token="pat-test-token",
    outbound_hubspot_lists={"uncovered-roles": "101"},
    marketo_base_url="https://m.example",
    marketo_client_id="id",
    marketo_client_secret="secret",
    outbound_marketo_lists={"uncovered-roles": "2001", "nurture": "2002"},
)


class Map:
    def __init__(self, system: str, known: dict[str, str], *errors: Exception) -> None:
        self.system, self.known, self.errors = system, known, list(errors)
        self.lists: dict[str, set[str]] = {}
        self.facts: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str, list[str]]] = []

    async def write_people(self, people: list[Push]) -> dict[str, str]:
        if self.errors:
            raise self.errors.pop(0)
        found = {p.person_id: self.known[p.email] for p in people if p.email in self.known}
        self.facts.update({found[p.person_id]: p.facts for p in people if p.person_id in found})
        return found

    async def change_list(self, list_id: str, op: str, record_ids: list[str]) -> None:
        self.calls.append((list_id, op, record_ids))
        members = self.lists.setdefault(list_id, set())
        (members.update if op == "add" else members.difference_update)(record_ids)

    def drain_log(self) -> list[SyncLogEntry]:
        return [SyncLogEntry(system=self.system, request="x", items=1, outcome="ok", at=datetime.now(UTC))]


def changed(
    segment: str, change: str, person: str = "p1", email: str | None = "p1@x.example"
) -> SegmentMembershipChanged:
    return SegmentMembershipChanged(
        segment_id=segment,
        segment_name=segment,
        person_id=person,
        change=change,
        email=email,
        facts={"lifecycle_stage": "mql", "score": 71.0},
        at=datetime.now(UTC),
    )  # type: ignore[arg-type]


async def deliver(uow: FakeOutboundUnitOfWork, event: SegmentMembershipChanged | PersonErased) -> None:
    await on_event(event, envelope(event), uow, SETTINGS)


async def test_a_segment_change_is_one_operation_per_mapped_list() -> None:
    uow = FakeOutboundUnitOfWork()
    await deliver(uow, changed("uncovered-roles", "added"))
    await deliver(uow, changed("nurture", "added"))
    await deliver(uow, changed("mql-not-accepted", "added"))  # mapped nowhere
    await deliver(uow, changed("nurture", "added", email=None))  # no email: no MAP can find them
    assert [(o.system, o.list_id, o.op) for o in uow.sync.ops] == [
        ("hubspot", "101", "add"),
        ("marketo", "2001", "add"),
        ("marketo", "2002", "add"),
    ]


async def test_in_then_out_ends_out_and_facts_are_written() -> None:
    uow = FakeOutboundUnitOfWork()
    hubspot = Map("hubspot", {"p1@x.example": "7001"})
    await deliver(uow, changed("uncovered-roles", "added"))
    await deliver(uow, changed("uncovered-roles", "removed"))
    while any(o.status == "pending" for o in uow.sync.ops if o.system == "hubspot"):
        await sync_due(lambda: uow, SETTINGS, [hubspot])
    assert hubspot.calls == [("101", "add", ["7001"]), ("101", "remove", ["7001"])]
    assert hubspot.lists["101"] == set() and hubspot.facts["7001"]["score"] == 71.0
    assert uow.sync.external[("hubspot", "p1")] == "7001" and uow.sync.entries


async def test_rate_limits_wait_unknown_people_are_skipped_and_refusals_fail() -> None:
    uow = FakeOutboundUnitOfWork()
    await deliver(uow, changed("uncovered-roles", "added"))
    await deliver(uow, changed("uncovered-roles", "added", person="p2", email="p2@x.example"))
    limited = Map("hubspot", {"p1@x.example": "7001"}, RateLimited(30))
    await sync_due(lambda: uow, SETTINGS, [limited])
    hubspot_ops = [o for o in uow.sync.ops if o.system == "hubspot"]
    assert all(
        o.status == "pending" and o.attempts == 0 and "rate limited" in (o.last_error or "")
        for o in hubspot_ops
    )
    uow.sync.ops = [
        o.model_copy(update={"next_attempt_at": datetime(2000, 1, 1, tzinfo=UTC)}) for o in uow.sync.ops
    ]
    await sync_due(lambda: uow, SETTINGS, [limited])
    assert {o.person_id: o.status for o in uow.sync.ops if o.system == "hubspot"} == {
        "p1": "done",
        "p2": "skipped",
    }

    refusing = Map("marketo", {}, MapFailure("bad field", retryable=False))
    await sync_due(lambda: uow, SETTINGS, [refusing])
    assert {o.status for o in uow.sync.ops if o.system == "marketo"} == {"failed"}


async def test_an_erased_person_is_forgotten_by_the_sync() -> None:
    uow = FakeOutboundUnitOfWork()
    await deliver(uow, changed("uncovered-roles", "added"))
    await deliver(uow, PersonErased(erasure_id="e", lead_ids=["p1"], email_hash="h", requested_by="dpo"))
    assert uow.sync.ops == [] and uow.housekeeping.erased == [(["p1"], "h")]
