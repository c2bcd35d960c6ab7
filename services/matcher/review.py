"""The review queue: leads a person must decide, and how their decisions are applied."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.matcher.candidates import registrable
from services.matcher.conversion import Verdict, convert, found_account, route
from services.matcher.domain.matching import AccountProfile, Decision, LeadFacts
from services.matcher.domain.routing import Pool
from services.matcher.models import ResolveIn
from services.matcher.tables import Account, Match, ReviewItem
from shared.events import LeadCreated, LeadRejected, LeadReviewRequested, MatchCandidate
from shared.tables import utcnow
from shared.uow import UnitOfWork


def candidates_of(decision: Decision, limit: int = 5) -> list[MatchCandidate]:
    return [
        MatchCandidate(account_id=s.account.account_id, name=s.account.name, score=s.score, method=s.method)
        for s in decision.candidates[:limit]
    ]


async def queue_for_review(uow: UnitOfWork, lead: LeadCreated, decision: Decision, reason: str) -> None:
    candidates = candidates_of(decision)
    uow.session.add(
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
        )
    )
    values = {
        "status": "in_review",
        "account_id": decision.account.account_id if decision.account else None,
        "method": decision.method,
        "confidence": decision.confidence,
        "explanation": decision.explanation,
    }
    await uow.session.execute(insert(Match).values(lead_id=lead.lead_id, **values).on_conflict_do_nothing())
    uow.emit(LeadReviewRequested(lead_id=lead.lead_id, candidates=candidates, reason=reason))


async def resolve(
    uow: UnitOfWork, item: ReviewItem, decision: ResolveIn, pools: Sequence[Pool]
) -> str | None:
    """Apply a person's decision to `item`; a reason when it cannot be applied (nothing written)."""
    lead = LeadCreated.model_validate(item.lead)
    facts = registrable(LeadFacts(**lead.model_dump(include=set(LeadFacts.__dataclass_fields__))))
    who = decision.resolved_by
    if decision.action == "reject":
        reason = decision.reason or "rejected in review"
        await uow.session.execute(
            update(Match)
            .where(col(Match.lead_id) == lead.lead_id)
            .values(
                status="rejected", account_id=None, explanation=f"{item.reason}; rejected by {who}: {reason}"
            )
        )
        uow.emit(LeadRejected(lead_id=lead.lead_id, reason=reason, rejected_by=who))
        _close(item, "rejected", "rejected", None, who)
        return None
    if decision.action == "pick":
        account = await uow.session.get(Account, decision.account_id)
        if account is None:
            return f"no account {decision.account_id}"
        profile = AccountProfile(
            account.account_id, account.name, tuple(account.domains), owner=account.owner
        )
        assignment = await route(uow, account.owner, lead.country, pools)
        created = False
    else:
        profile, assignment, created = await found_account(uow, facts, pools, name=decision.account_name)
    action = "picked" if decision.action == "pick" else ("created" if created else "picked (domain owner)")
    verdict = Verdict(
        "review", 1.0, f"{who} {action} {profile.name} in review ({item.reason})", resolved_by=who
    )
    await convert(uow, lead.lead_id, lead, profile, verdict, assignment, created=created)
    _close(item, "resolved", decision.action, profile.account_id, who)
    return None


def _close(item: ReviewItem, status: str, resolution: str, account_id: str | None, who: str) -> None:
    item.status, item.resolution, item.account_id = status, resolution, account_id
    item.resolved_by, item.resolved_at = who, utcnow()
