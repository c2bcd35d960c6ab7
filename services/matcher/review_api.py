"""Review-queue routes: list what waits for a person (oldest first) and apply their decision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlmodel import col

from services.matcher.models import ResolveIn, ReviewItemOut
from services.matcher.review import resolve
from services.matcher.settings import MatcherSettings
from services.matcher.tables import ReviewItem
from shared.app import RuntimeDep, UowDep
from shared.problems import Problem

router = APIRouter(tags=["review queue"])


def _settings(runtime: Any) -> MatcherSettings:
    settings = runtime.settings
    assert isinstance(settings, MatcherSettings)
    return settings


def item_out(item: ReviewItem, sla_hours: float, now: datetime) -> ReviewItemOut:
    age = (now - item.created_at).total_seconds() / 3600
    return ReviewItemOut(
        **item.model_dump(include=set(ReviewItemOut.model_fields) - {"candidates"}),
        candidates=item.candidates,
        email=item.lead.get("email", ""),
        company=item.lead.get("company"),
        age_hours=round(age, 3),
        sla_hours=sla_hours,
        overdue=item.status == "open" and age > sla_hours,
    )


@router.get("/review-queue")
async def list_review_queue(
    uow: UowDep,
    runtime: RuntimeDep,
    status: Literal["open", "resolved", "rejected", "all"] = "open",
    reason: Annotated[str | None, Query(description="items whose reason contains this text")] = None,
    country: Annotated[str | None, Query(max_length=64)] = None,
    account_id: Annotated[str | None, Query(description="items listing this account as a candidate")] = None,
    overdue: Annotated[bool | None, Query(description="only items past (true) or within (false) SLA")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ReviewItemOut]:
    """Oldest first, with every candidate's score and reasons; `overdue` flags items past their SLA."""
    sla_hours = _settings(runtime).matcher_review_sla_hours
    now = datetime.now(UTC)
    query = select(ReviewItem).order_by(col(ReviewItem.created_at), col(ReviewItem.item_id))
    if status != "all":
        query = query.where(col(ReviewItem.status) == status)
    if reason:
        query = query.where(col(ReviewItem.reason).icontains(reason, autoescape=True))
    if country:
        query = query.where(col(ReviewItem.country) == country.upper())
    if account_id:
        query = query.where(col(ReviewItem.candidates).contains([{"account_id": account_id}]))
    if overdue is not None:
        cutoff = datetime.fromtimestamp(now.timestamp() - sla_hours * 3600, UTC)
        late = (col(ReviewItem.created_at) < cutoff) & (col(ReviewItem.status) == "open")
        query = query.where(late if overdue else ~late)
    items = (await uow.session.scalars(query.limit(limit).offset(offset))).all()
    return [item_out(item, sla_hours, now) for item in items]


@router.post("/review-queue/{item_id}/resolve")
async def resolve_review_item(
    item_id: str, body: ResolveIn, uow: UowDep, runtime: RuntimeDep
) -> ReviewItemOut:
    """`pick` an account (`account_id`), `create` one from the lead, or `reject` the lead; audited."""
    settings = _settings(runtime)
    item = await uow.session.get(ReviewItem, item_id, with_for_update=True)
    if item is None:
        raise Problem(404, "Not Found", f"No review item {item_id}.")
    if item.status != "open":
        raise Problem(
            409, "Conflict", f"Review item {item_id} was already {item.status} by {item.resolved_by}."
        )
    if body.action == "pick" and not body.account_id:
        raise Problem(
            422,
            "Invalid request",
            "pick needs an account_id",
            errors=[{"field": "account_id", "reason": "required when action is pick"}],
        )
    problem = await resolve(uow, item, body, settings.pools())
    if problem:
        raise Problem(422, "Invalid request", problem, errors=[{"field": "account_id", "reason": problem}])
    await uow.commit()
    return item_out(item, settings.matcher_review_sla_hours, datetime.now(UTC))
