"""Scoring's event handlers: score people as leads and engagement arrive, follow conversions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.scoring.app import people, scorer
from services.scoring.app.deals import (
    on_account_changed,
    on_contact_role_changed,
    on_opp_created,
    on_opp_stage_changed,
)
from services.scoring.app.models import Person
from services.scoring.app.uow import ScoringUnitOfWork
from services.scoring.domain import lifecycle
from services.scoring.domain.rules import bant_answers, behaviour_reason
from services.scoring.settings import ScoringSettings
from shared.events import (
    AccountCreated,
    AccountUpdated,
    EngagementRecorded,
    Envelope,
    LeadConverted,
    LeadCreated,
    LeadRejected,
    LeadUpdated,
    OppContactRoleChanged,
    OppCreated,
    OppStageChanged,
    PersonErased,
    is_erased,
)
from shared.messaging import Handlers

FACTS = (
    "title",
    "employees",
    "industry",
    "country",
    "email_domain",
    "is_free_mail",
    "unsubscribed",
    "bounced",
)
FLAGS = ("is_free_mail", "unsubscribed", "bounced")  # unknown (None) leaves the flag as it is


def _facts_of(fields: dict[str, Any]) -> dict[str, Any]:
    """The facts scoring uses among a lead's fields (flags ingest may add are taken too)."""
    found = {k: v for k, v in fields.items() if k in FACTS and not (k in FLAGS and v is None)}
    if fields.get("email_bounced") is not None:
        found["bounced"] = bool(fields["email_bounced"])
    return found


async def on_lead_created(
    event: LeadCreated, envelope: Envelope, uow: ScoringUnitOfWork, settings: ScoringSettings
) -> None:
    person = await people.living(uow, event.lead_id, settings.scoring_model.version)
    if person is None:
        return
    # Topics keep no order between them: an update may have come first; its facts are newer.
    updated_first = person.lead_version > 1
    person.lead_version = max(person.lead_version, envelope.aggregate_version or 1)
    person.email = event.email
    for fact, value in _facts_of(event.model_dump()).items():
        if not (updated_first and getattr(person, fact) not in (None, False)):
            setattr(person, fact, value)
    now = datetime.now(UTC)
    scorer.refit(person, settings, now, await people.account_of(uow, person))
    await scorer.settle(uow, person, settings, now)


async def on_lead_updated(
    event: LeadUpdated, envelope: Envelope, uow: ScoringUnitOfWork, settings: ScoringSettings
) -> None:
    changed = _facts_of(event.changed)
    if not changed:
        return
    person = await people.living(uow, event.lead_id, settings.scoring_model.version)
    if person is None:
        return
    version = envelope.aggregate_version or person.lead_version + 1
    if version <= person.lead_version:
        return  # older than what the score already reflects
    person.lead_version = version
    for fact, value in changed.items():
        setattr(person, fact, value)
    now = datetime.now(UTC)
    scorer.refit(person, settings, now, await people.account_of(uow, person))
    await scorer.settle(uow, person, settings, now)


async def on_engagement_recorded(
    event: EngagementRecorded, _: Envelope, uow: ScoringUnitOfWork, settings: ScoringSettings
) -> None:
    model = settings.scoring_model
    # An engagement cannot come from the future: one dated ahead (a wrong clock) counts as now.
    at = min(event.occurred_at, datetime.now(UTC))
    day = at.astimezone(UTC).date()
    capped = event.kind in model.behaviour.daily_caps
    person, used = await uow.people.locked(
        event.lead_id, model.version, points_on=(day, event.kind) if capped else None
    )
    if is_erased(person.email):
        return
    reason = behaviour_reason(
        model, kind=event.kind, url=event.url, campaign=event.campaign, at=at, used_today=used
    )
    points = 0.0 if event.kind == "unsubscribe" else reason.points
    new = await uow.engagements.record(
        engagement_id=event.engagement_id,
        person_id=person.person_id,
        kind=event.kind,
        points=points,
        at=at,
        capped=capped and points > 0,
        campaign=(event.campaign, event.campaign_external_id),
    )
    if not new:
        return
    person.email = person.email or event.email
    now = datetime.now(UTC)
    refit = _learn(person, event, settings)
    if points > 0:
        behaviour = scorer.behaviour_of(person).plus(points, at, settings.half_life)
        person.behaviour_ref, person.behaviour_ref_at = behaviour.value, behaviour.ref_at
        person.last_engaged_at = max(at, person.last_engaged_at or at)
        reasons = [scorer.stored(reason, "behaviour"), *person.behaviour_reasons]
        person.behaviour_reasons = reasons[: people.KEPT_BEHAVIOUR_REASONS]
    if refit:
        scorer.refit(person, settings, now, await people.account_of(uow, person))
    await scorer.settle(uow, person, settings, now)


def _learn(person: Person, event: EngagementRecorded, settings: ScoringSettings) -> bool:
    """Facts an engagement tells about the person (unsubscribed, bounced, BANT answers)."""
    refit = False
    if event.kind == "unsubscribe" and not person.unsubscribed:
        person.unsubscribed, refit = True, True
    if str(event.properties.get("bounced", "")).lower() in ("true", "1", "yes") and not person.bounced:
        person.bounced, refit = True, True
    answers = bant_answers(settings.scoring_model, event.properties)
    if answers and {**person.answers, **answers} != person.answers:
        person.answers, refit = {**person.answers, **answers}, True
    return refit


async def on_lead_rejected(
    event: LeadRejected, _: Envelope, uow: ScoringUnitOfWork, settings: ScoringSettings
) -> None:
    """A lead rejected in review scores the negative rule `lead_rejected` (it cannot reach MQL on
    behaviour alone); the reason and who rejected it are kept."""
    person = await people.living(uow, event.lead_id, settings.scoring_model.version)
    if person is None:
        return
    person.rejected = f"{event.reason} (by {event.rejected_by})"
    now = datetime.now(UTC)
    scorer.refit(person, settings, now, await people.account_of(uow, person))
    await scorer.settle(uow, person, settings, now)


async def on_lead_converted(
    event: LeadConverted, _: Envelope, uow: ScoringUnitOfWork, settings: ScoringSettings
) -> None:
    """One person, one score: the contact id finds the lead's score and history; a second lead
    converted to the same contact is merged into the person who already holds it."""
    await uow.people.lock_contacts([event.contact_id])
    person = await people.living(uow, event.lead_id, settings.scoring_model.version)
    if person is None:
        return
    holder = await uow.people.holding_contact(event.contact_id, other_than=person.person_id)
    if holder is not None:
        await people.merge(uow, holder, person, settings.scoring_model.behaviour.half_life_days)
        person = holder
    person.contact_id, person.account_id = event.contact_id, event.account_id
    person.title = person.title or event.title
    person.email = person.email or event.email
    now = datetime.now(UTC)
    account = await people.account_of(uow, person)
    scorer.refit(person, settings, now, account)
    change, deal_stage = None, await uow.deals.stage_of_contact(event.contact_id)
    if account is not None and account.is_customer:
        deal_stage = "customer"
    to = lifecycle.by_deal(person.lifecycle_stage, deal_stage) if deal_stage else None
    if to:
        why = "its account is a customer" if account and account.is_customer else "in a deal's buying group"
        change = await scorer.move(
            uow, person, lifecycle.Change(person.lifecycle_stage, to, now, "conversion", why)
        )
    await scorer.settle(uow, person, settings, now, change=change, force=True)


async def on_person_erased(
    event: PersonErased, _: Envelope, uow: ScoringUnitOfWork, settings: ScoringSettings
) -> None:
    version = settings.scoring_model.version
    erased = await uow.erasure.erase(event.lead_ids, event.contact_ids, event.email_hash, version)
    await uow.forget([*event.lead_ids, *erased])


HANDLERS: Handlers = {
    LeadCreated: on_lead_created,
    LeadUpdated: on_lead_updated,
    EngagementRecorded: on_engagement_recorded,
    LeadConverted: on_lead_converted,
    LeadRejected: on_lead_rejected,
    AccountCreated: on_account_changed,
    AccountUpdated: on_account_changed,
    OppCreated: on_opp_created,
    OppStageChanged: on_opp_stage_changed,
    OppContactRoleChanged: on_contact_role_changed,
    PersonErased: on_person_erased,
}
