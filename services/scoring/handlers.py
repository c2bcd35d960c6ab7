"""Scoring's event handlers: score people as leads and engagement arrive."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.scoring.domain.rules import (
    MODEL_VERSION,
    PersonFacts,
    Reason,
    behaviour_reason,
    fit_reasons,
    lifecycle_stage,
)
from services.scoring.tables import Person, ScoredEngagement
from shared.events import (
    EngagementRecorded,
    Envelope,
    LeadConverted,
    LeadCreated,
    LeadScored,
    LeadUpdated,
    ScoreReason,
)
from shared.telemetry import instruments
from shared.uow import UnitOfWork

KEPT_BEHAVIOUR_REASONS = 50


def _stored(reason: Reason) -> dict[str, Any]:
    return {**asdict(reason), "at": reason.at.isoformat() if reason.at else None}


async def _person(uow: UnitOfWork, lead_id: str) -> Person:
    """The person row, created if new, locked for this transaction."""
    await uow.session.execute(
        insert(Person).values(person_id=lead_id, model_version=MODEL_VERSION).on_conflict_do_nothing()
    )
    return (
        await uow.session.scalars(select(Person).where(col(Person.person_id) == lead_id).with_for_update())
    ).one()


def _refit(person: Person) -> None:
    reasons = fit_reasons(PersonFacts(person.title, person.employees, person.is_free_mail))
    person.fit_reasons = [_stored(r) for r in reasons]
    person.fit = sum(r.points for r in reasons)


def _publish(uow: UnitOfWork, person: Person, previous: float | None) -> None:
    person.score = person.fit + person.behaviour
    person.lifecycle_stage = lifecycle_stage(person.score, person.fit, person.lifecycle_stage)
    person.version += 1
    person.updated_at = datetime.now(UTC)
    reasons = [ScoreReason.model_validate(r) for r in [*person.fit_reasons, *person.behaviour_reasons]]
    uow.emit(
        LeadScored(
            person_id=person.person_id,
            lead_id=person.person_id,
            contact_id=person.contact_id,
            account_id=person.account_id,
            score=person.score,
            fit=person.fit,
            behaviour=person.behaviour,
            previous_score=previous,
            lifecycle_stage=person.lifecycle_stage,
            reasons=reasons,
        ),
        aggregate_version=person.version,
    )
    instruments.domain_counter("scores", "Scores computed, by lifecycle stage.").add(
        1, {"lifecycle_stage": person.lifecycle_stage}
    )


async def on_lead_created(event: LeadCreated, envelope: Envelope, uow: UnitOfWork) -> None:
    person = await _person(uow, event.lead_id)
    previous = person.score if person.version else None
    # Topics keep no order between them: an update may have come first; its facts are newer.
    updated_first = person.lead_version > 1
    person.lead_version = max(person.lead_version, envelope.aggregate_version or 1)
    person.email = event.email
    person.title = person.title if updated_first and person.title else event.title
    person.employees = person.employees if updated_first and person.employees is not None else event.employees
    person.is_free_mail = event.is_free_mail
    _refit(person)
    _publish(uow, person, previous)


async def on_lead_updated(event: LeadUpdated, envelope: Envelope, uow: UnitOfWork) -> None:
    if not {"title", "employees"} & event.changed.keys():
        return
    person = await _person(uow, event.lead_id)
    version = envelope.aggregate_version or person.lead_version + 1
    if version <= person.lead_version:
        return  # older than what the score already reflects
    person.lead_version = version
    previous = person.score if person.version else None
    person.title = event.changed.get("title", person.title)
    person.employees = event.changed.get("employees", person.employees)
    _refit(person)
    _publish(uow, person, previous)


async def on_engagement_recorded(event: EngagementRecorded, _: Envelope, uow: UnitOfWork) -> None:
    reason = behaviour_reason(event.kind, event.url, event.occurred_at)
    new = await uow.session.scalar(
        insert(ScoredEngagement)
        .values(
            engagement_id=event.engagement_id,
            person_id=event.lead_id,
            kind=event.kind,
            points=reason.points,
            occurred_at=event.occurred_at,
        )
        .on_conflict_do_nothing()
        .returning(col(ScoredEngagement.engagement_id))
    )
    if not new:
        return
    person = await _person(uow, event.lead_id)
    previous = person.score if person.version else None
    person.email = person.email or event.email
    person.behaviour += reason.points
    person.behaviour_reasons = [_stored(reason), *person.behaviour_reasons][:KEPT_BEHAVIOUR_REASONS]
    _publish(uow, person, previous)


async def on_lead_converted(event: LeadConverted, _: Envelope, uow: UnitOfWork) -> None:
    """One person, one score: the contact id now finds the lead's score."""
    person = await _person(uow, event.lead_id)
    person.contact_id, person.account_id = event.contact_id, event.account_id
    _publish(uow, person, person.score if person.version else None)
