"""The review queue: leads a person must decide, and how their decisions are applied."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert

from services.matcher.domain.matching import Decision
from services.matcher.tables import Match, ReviewItem
from shared.events import LeadCreated, LeadReviewRequested, MatchCandidate
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
