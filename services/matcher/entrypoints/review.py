"""Review-queue routes: list what waits for a person (oldest first) and apply their decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.matcher.app import review
from services.matcher.app.models import ReviewFilter, ReviewItem
from services.matcher.entrypoints.deps import SettingsDep, UowDep
from services.matcher.entrypoints.models import ResolveIn, ReviewItemOut
from shared.app import CallerDep

router = APIRouter(tags=["review queue"])


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
    settings: SettingsDep,
    status: Literal["open", "resolved", "rejected", "all"] = "open",
    reason: Annotated[
        str | None, Query(max_length=200, description="items whose reason contains this text")
    ] = None,
    country: Annotated[str | None, Query(max_length=64)] = None,
    account_id: Annotated[
        str | None, Query(max_length=200, description="items listing this account as a candidate")
    ] = None,
    overdue: Annotated[bool | None, Query(description="only items past (true) or within (false) SLA")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ReviewItemOut]:
    """Oldest first, with every candidate's score and reasons; `overdue` flags items past their SLA."""
    sla_hours = settings.matcher_review_sla_hours
    now = datetime.now(UTC)
    where = ReviewFilter(
        status=status,
        reason=reason,
        country=country,
        account_id=account_id,
        overdue=overdue,
        overdue_before=now - timedelta(hours=sla_hours),
        limit=limit,
        offset=offset,
    )
    return [item_out(item, sla_hours, now) for item in await uow.review.list(where)]


@router.post("/review-queue/{item_id}/resolve")
async def resolve_review_item(
    item_id: str, body: ResolveIn, uow: UowDep, settings: SettingsDep, caller: CallerDep
) -> ReviewItemOut:
    """`pick` an account (`account_id`), `create` one from the lead, or `reject` the lead; the caller
    is recorded as `resolved_by`."""
    item = await review.resolve(
        uow,
        item_id,
        action=body.action,
        who=caller,
        account_id=body.account_id,
        account_name=body.account_name,
        reason=body.reason,
    )
    await uow.commit()
    return item_out(item, settings.matcher_review_sla_hours, datetime.now(UTC))
