"""Segment membership kept incrementally: whenever a person's score, lifecycle or buying-group
seats change (and when time alone may have changed them), their segments are evaluated again,
the difference stored and each entry or exit emitted as `segment.membership_changed`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from services.scoring.app.models import Person
from services.scoring.app.uow import ScoringUnitOfWork
from services.scoring.domain.segments import BUILT_IN, Facts, Seat, evaluate
from services.scoring.settings import ScoringSettings
from shared.events import SegmentMembershipChanged, is_erased
from shared.jobs import Job

BATCH = 200


def names(settings: ScoringSettings) -> dict[str, str]:
    return {**BUILT_IN, **{rule.segment_id: rule.name for rule in settings.scoring_segments}}


def facts_of(person: Person, seats: list[Seat]) -> Facts:
    return Facts(
        person_id=person.person_id,
        lifecycle_stage=person.lifecycle_stage,
        stage_changed_at=person.stage_changed_at,
        score=person.score,
        fit=person.fit,
        behaviour=person.behaviour,
        last_engaged_at=person.last_engaged_at,
        title=person.title,
        country=person.country,
        industry=person.industry,
        employees=person.employees,
        recycled_at=person.recycled_at,
        seats=tuple(seats),
    )


def map_facts(person: Person, seats: list[Seat]) -> dict[str, Any]:
    """What the MAP should hold of the person: lifecycle stage, score, buying role, open opp stage."""
    confirmed = [s for s in seats if s.open and s.status == "confirmed"]
    return {
        "lifecycle_stage": person.lifecycle_stage,
        "score": round(person.score, 1),
        "buying_role": confirmed[0].role if confirmed else None,
        "open_opp_stage": confirmed[0].stage if confirmed else None,
    }


async def refresh(uow: ScoringUnitOfWork, settings: ScoringSettings, person: Person, now: datetime) -> int:
    """Bring the person's stored segments to what their facts say now; how many changed."""
    seats = await uow.segments.seats(person.contact_id) if person.contact_id else []
    wanted: dict[str, dict[str, Any]] = {}
    due = None
    if not is_erased(person.email):
        wanted, due = evaluate(
            facts_of(person, seats), settings.segment_config, settings.scoring_segments, now
        )
    current, was_due = await uow.segments.of_person(person.person_id)
    changed = 0
    for segment_id, detail in wanted.items():
        if current.get(segment_id) != detail:
            await uow.segments.put(person.person_id, segment_id, detail, now)
        if segment_id not in current:
            _emit(uow, settings, person, seats, segment_id, "added", detail, now)
            changed += 1
    for segment_id in current.keys() - wanted.keys():
        await uow.segments.remove(person.person_id, segment_id)
        _emit(uow, settings, person, seats, segment_id, "removed", current[segment_id], now)
        changed += 1
    if due != was_due:
        await uow.segments.set_due(person.person_id, due)
    return changed


def _emit(
    uow: ScoringUnitOfWork,
    settings: ScoringSettings,
    person: Person,
    seats: list[Seat],
    segment_id: str,
    change: Literal["added", "removed"],
    detail: dict[str, Any],
    now: datetime,
) -> None:
    uow.emit(
        SegmentMembershipChanged(
            segment_id=segment_id,
            segment_name=names(settings).get(segment_id, segment_id),
            person_id=person.person_id,
            change=change,
            email=person.email,
            contact_id=person.contact_id,
            account_id=person.account_id,
            detail=detail,
            facts=map_facts(person, seats),
            at=now,
        )
    )


async def refresh_contacts(
    uow: ScoringUnitOfWork, settings: ScoringSettings, contact_ids: list[str], now: datetime
) -> None:
    """After a buying group changed: its members' segments (a role covered moves the others).
    Unlocked: each person's own changes refresh them again, and locking a whole group here would
    deadlock with another group's handler sharing a member."""
    for person in await uow.people.by_contacts(sorted(set(contact_ids))):
        await refresh(uow, settings, person, now)


async def refresh_due(uows: Callable[[], ScoringUnitOfWork], settings: ScoringSettings) -> int:
    """People whose segments time changed (an MQL's SLA ran out, engagement grew old), in batches."""
    total = 0
    while True:
        async with uows() as uow:
            now = datetime.now(UTC)
            found = await uow.segments.due(now, BATCH)
            for person_id in found:
                person = await uow.people.find(person_id, lock=True)
                if person is not None:
                    total += await refresh(uow, settings, person, now)
                else:
                    await uow.segments.set_due(person_id, None)
            await uow.commit()
        if len(found) < BATCH:
            return total


SEGMENTS = Job("segments", every=lambda s: s.scoring_segment_interval_seconds, run=refresh_due)
