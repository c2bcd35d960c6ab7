"""Scoring's segment routes: every segment (built-in and configured) with its member count, and
a segment's members."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.scoring.app.segments import names
from services.scoring.domain.segments import BUILT_IN
from services.scoring.entrypoints.deps import SettingsDep, UowDep
from shared.errors import NotFound

router = APIRouter(tags=["segments"])


class SegmentOut(BaseModel):
    segment_id: str
    name: str
    kind: Literal["built_in", "configured"]
    members: int


class SegmentMemberOut(BaseModel):
    person_id: str
    detail: dict[str, Any]
    added_at: datetime


class MembersOut(BaseModel):
    segment_id: str
    members: list[SegmentMemberOut]
    next_after: str | None


@router.get("/segments")
async def segments(uow: UowDep, settings: SettingsDep) -> list[SegmentOut]:
    counts = await uow.segments.counts()
    return [
        SegmentOut(
            segment_id=segment_id,
            name=name,
            kind="built_in" if segment_id in BUILT_IN else "configured",
            members=counts.get(segment_id, 0),
        )
        for segment_id, name in names(settings).items()
    ]


@router.get("/segments/{segment_id}/members")
async def members(
    segment_id: str,
    uow: UowDep,
    settings: SettingsDep,
    limit: int = Query(100, ge=1, le=1000),
    after: str | None = Query(None, max_length=200),
) -> MembersOut:
    """Members in person-id order; pass `next_after` as `after` for the next page."""
    if segment_id not in names(settings):
        raise NotFound(f"No segment {segment_id}.", field="segment_id", reason="not found")
    found = await uow.segments.members(segment_id, limit=limit, after=after)
    shown = [SegmentMemberOut(**m.model_dump(exclude={"segment_id"})) for m in found]
    return MembersOut(
        segment_id=segment_id, members=shown, next_after=found[-1].person_id if len(found) == limit else None
    )
