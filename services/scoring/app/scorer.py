"""Applies the pure scoring model to a person row and emits `lead.scored` when it is news."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from services.scoring.app import segments
from services.scoring.app.models import AccountFacts, LifecycleChange, Person
from services.scoring.app.uow import ScoringUnitOfWork
from services.scoring.domain import lifecycle
from services.scoring.domain.decay import Decaying, next_due, worth_emitting
from services.scoring.domain.rules import PersonFacts, Reason, fit_reasons, negative_reasons
from services.scoring.settings import ScoringSettings
from shared.events import LeadScored, ScoreReason
from shared.telemetry import instruments


def stored(reason: Reason, kind: str) -> dict[str, Any]:
    return {**asdict(reason), "at": reason.at.isoformat() if reason.at else None, "kind": kind}


def facts(person: Person, account: AccountFacts | None = None) -> PersonFacts:
    """The person's facts; company facts the lead did not give come from its account."""
    return PersonFacts(
        title=person.title,
        employees=person.employees if person.employees is not None or account is None else account.employees,
        industry=person.industry or (account.industry if account else None),
        country=person.country or (account.country if account else None),
        email_domain=person.email_domain,
        is_free_mail=person.is_free_mail,
        unsubscribed=person.unsubscribed,
        bounced=person.bounced,
        rejected=person.rejected is not None,
        answers=person.answers,
    )


def refit(
    person: Person, settings: ScoringSettings, now: datetime, account: AccountFacts | None = None
) -> None:
    """Recompute fit and negative points from the person's facts (and its account's)."""
    model = settings.scoring_model
    known = facts(person, account)
    fit = fit_reasons(model, known, now)
    negative = negative_reasons(model, known, now)
    person.fit_reasons = [stored(r, "fit") for r in fit]
    person.negative_reasons = [stored(r, "negative") for r in negative]
    person.fit = round(sum(r.points for r in fit), 4)
    person.negative = round(sum(r.points for r in negative), 4)


def behaviour_of(person: Person) -> Decaying:
    return Decaying(person.behaviour_ref, person.behaviour_ref_at)


async def move(uow: ScoringUnitOfWork, person: Person, change: lifecycle.Change) -> lifecycle.Change:
    """Record a lifecycle change; `settle` emits it."""
    person.lifecycle_stage, person.stage_changed_at = change.to_stage, change.at
    if change.to_stage == lifecycle.NURTURE:
        person.recycled_at = change.at
    await uow.people.record_change(
        LifecycleChange(
            person_id=person.person_id,
            from_stage=change.from_stage,
            to_stage=change.to_stage,
            at=change.at,
            actor=change.actor,
            reason=change.reason,
        )
    )
    instruments.domain_counter("lifecycle_changes", "Lifecycle stage changes, by stage.").add(
        1, {"to_stage": change.to_stage}
    )
    return change


async def settle(
    uow: ScoringUnitOfWork,
    person: Person,
    settings: ScoringSettings,
    now: datetime,
    *,
    change: lifecycle.Change | None = None,
    force: bool = False,
) -> bool:
    """Bring the stored score to `now`, apply the lifecycle rules, emit `lead.scored` when the
    score moved by the step, crossed a threshold, the stage changed or `force` (identity) says so,
    and save the person. Returns whether it emitted."""
    model = settings.scoring_model
    behaviour = behaviour_of(person)
    # Stored unrounded: the decay pass's due times are computed from these exact values.
    person.behaviour = behaviour.at(now, settings.half_life)
    person.score = person.fit + person.negative + person.behaviour
    person.model_version, person.updated_at = model.version, now
    if change is None:
        steps = lifecycle.by_rules(
            person.lifecycle_stage,
            score=person.score,
            fit=person.fit,
            known=bool(person.email),
            engaged_since_recycled=bool(
                person.recycled_at and person.last_engaged_at and person.last_engaged_at > person.recycled_at
            ),
            mql_threshold=model.thresholds.mql,
            prospect_fit=model.thresholds.prospect_fit,
        )
        for stage, why in steps:  # one lead.scored for them all, naming the last move
            change = await move(
                uow, person, lifecycle.Change(person.lifecycle_stage, stage, now, "rules", why)
            )
    thresholds = model.thresholds.all()
    previous = person.emitted_score
    emit = (
        force
        or change is not None
        or worth_emitting(previous, person.score, model.thresholds.emit_step, thresholds)
    )
    if emit:
        person.emitted_score = person.score
        _emit(uow, person, previous, change)
    person.due_at = next_due(
        base=person.fit + person.negative,
        behaviour=behaviour,
        emitted_score=person.emitted_score if person.emitted_score is not None else person.score,
        step=model.thresholds.emit_step,
        thresholds=thresholds,
        half_life=settings.half_life,
    )
    await uow.people.save(person)
    await segments.refresh(uow, settings, person, now)
    return emit


def reasons_of(person: Person) -> list[dict[str, Any]]:
    return [*person.fit_reasons, *person.negative_reasons, *person.behaviour_reasons]


def _emit(
    uow: ScoringUnitOfWork, person: Person, previous: float | None, change: lifecycle.Change | None
) -> None:
    person.version += 1
    uow.emit(
        LeadScored(
            person_id=person.person_id,
            lead_id=person.person_id,
            contact_id=person.contact_id,
            account_id=person.account_id,
            score=round(person.score, 2),
            fit=person.fit,
            behaviour=round(person.behaviour, 2),
            negative=person.negative,
            previous_score=None if previous is None else round(previous, 2),
            lifecycle_stage=person.lifecycle_stage,
            reasons=[ScoreReason.model_validate(r) for r in reasons_of(person)],
            model_version=person.model_version,
            previous_lifecycle_stage=change.from_stage if change else None,
            lifecycle_changed_at=change.at if change else None,
            lifecycle_actor=change.actor if change else None,
            lifecycle_reason=change.reason if change else None,
        ),
        aggregate_version=person.version,
    )
    instruments.domain_counter("scores", "Scores emitted, by lifecycle stage.").add(
        1, {"lifecycle_stage": person.lifecycle_stage}
    )
