"""The review queue: leads a person must decide, and how their decisions are applied."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from services.matcher.app.conversion import Verdict, convert, found_account, route
from services.matcher.app.models import Match, ReviewItem
from services.matcher.app.uow import MatcherUnitOfWork
from services.matcher.domain.matching import Decision, LeadFacts
from shared.errors import Conflict, Invalid, NotFound
from shared.events import LeadCreated, LeadRejected, LeadReviewRequested, MatchCandidate
from shared.territory import Place

Action = Literal["pick", "create", "reject"]


def candidates_of(decision: Decision, limit: int = 5) -> list[MatchCandidate]:
    return [
        MatchCandidate(account_id=s.account.account_id, name=s.account.name, score=s.score, method=s.method)
        for s in decision.candidates[:limit]
    ]


async def queue_for_review(
    uow: MatcherUnitOfWork, lead: LeadCreated, decision: Decision, reason: str
) -> None:
    candidates = candidates_of(decision)
    await uow.review.add(
        ReviewItem(
            item_id=str(uuid.uuid4()),
            lead_id=lead.lead_id,
            reason=reason,
            country=lead.country,
            confidence=decision.confidence,
            candidates=[
                c.model_dump() | {"reasons": list(s.reasons)}
                for c, s in zip(candidates, decision.candidates, strict=False)
            ],
            lead=lead.model_dump(mode="json"),
            created_at=datetime.now(UTC),
        )
    )
    await uow.matches.put_if_absent(
        Match(
            lead_id=lead.lead_id,
            status="in_review",
            account_id=decision.account.account_id if decision.account else None,
            method=decision.method,
            confidence=decision.confidence,
            explanation=decision.explanation,
        )
    )
    uow.emit(LeadReviewRequested(lead_id=lead.lead_id, candidates=candidates, reason=reason))


async def resolve(
    uow: MatcherUnitOfWork,
    item_id: str,
    *,
    action: Action,
    who: str,
    account_id: str | None,
    account_name: str | None,
    reason: str | None,
) -> ReviewItem:
    """Apply a person's decision to the item: pick an account, create one, or reject the lead."""
    item = await uow.review.get(item_id, lock=True)
    if item is None:
        raise NotFound(f"No review item {item_id}.")
    if item.status != "open":
        raise Conflict(f"Review item {item_id} was already {item.status} by {item.resolved_by}.")
    if action == "pick" and not account_id:
        raise Invalid(
            "pick needs an account_id",
            errors=[{"field": "account_id", "reason": "required when action is pick"}],
        )
    if action == "reject":
        return await _reject(uow, item, who, reason or "rejected in review")
    lead = LeadCreated.model_validate(item.lead)
    if action == "pick":
        picked = await uow.accounts.get(account_id or "")
        if picked is None:
            problem = f"no account {account_id}"
            raise Invalid(problem, errors=[{"field": "account_id", "reason": problem}])
        profile, created = picked.profile(), False
        place = Place.of(lead.country, lead.employees)
        assignment = await route(uow, picked.owner, place, account_id=picked.account_id)
    else:
        profile, assignment, created = await found_account(uow, LeadFacts.of(lead), name=account_name)
    done = "picked" if action == "pick" else ("created" if created else "picked (domain owner)")
    verdict = Verdict(
        "review", 1.0, f"{who} {done} {profile.name} in review ({item.reason})", resolved_by=who
    )
    await convert(uow, lead.lead_id, lead, profile, verdict, assignment, created=created)
    return await _close(uow, item, "resolved", action, profile.account_id, who)


async def _reject(uow: MatcherUnitOfWork, item: ReviewItem, who: str, reason: str) -> ReviewItem:
    await uow.matches.reject(item.lead_id, f"{item.reason}; rejected by {who}: {reason}")
    uow.emit(LeadRejected(lead_id=item.lead_id, reason=reason, rejected_by=who))
    return await _close(uow, item, "rejected", "rejected", None, who)


async def _close(
    uow: MatcherUnitOfWork, item: ReviewItem, status: str, resolution: str, account_id: str | None, who: str
) -> ReviewItem:
    closed = item.model_copy(
        update={
            "status": status,
            "resolution": resolution,
            "account_id": account_id,
            "resolved_by": who,
            "resolved_at": datetime.now(UTC),
        }
    )
    await uow.review.save(closed)
    return closed
