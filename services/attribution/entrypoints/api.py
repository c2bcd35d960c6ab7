"""Attribution routes: campaigns, and an opp's touches with every model's split."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.attribution.app import campaigns, reports
from services.attribution.app.models import Campaign
from services.attribution.domain.campaigns import CampaignIn, CampaignPatch
from services.attribution.entrypoints.deps import SettingsDep, UowDep
from services.attribution.entrypoints.reports import AsOfQ, as_moment
from services.attribution.entrypoints.reports import router as reports_router
from shared.app import CallerDep

router = APIRouter(tags=["attribution"])


@router.post("/campaigns", status_code=201)
async def create_campaign(body: CampaignIn, uow: UowDep, caller: CallerDep) -> Campaign:
    """A campaign record (names are unique regardless of case); emits `campaign.created`."""
    campaign = await campaigns.create(uow, body, caller)
    await uow.commit()
    return campaign


@router.get("/campaigns")
async def list_campaigns(
    uow: UowDep,
    channel: Annotated[str | None, Query(max_length=255)] = None,
    program: Annotated[str | None, Query(max_length=255)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[Campaign]:
    return await uow.campaigns.list(channel=channel, program=program, limit=limit, offset=offset)


@router.get("/campaigns/{campaign_id}")
async def get_campaign(campaign_id: str, uow: UowDep) -> Campaign:
    return await campaigns.get(uow, campaign_id)


@router.patch("/campaigns/{campaign_id}")
async def change_campaign(campaign_id: str, body: CampaignPatch, uow: UowDep) -> Campaign:
    """Change any field; emits `campaign.updated` naming what changed (nothing changed: no event)."""
    campaign = await campaigns.change(uow, campaign_id, body)
    await uow.commit()
    return campaign


@router.get("/opportunities/{opp_id}/touches")
async def opp_touches(opp_id: str, uow: UowDep, settings: SettingsDep, as_of: AsOfQ = None) -> dict[str, Any]:
    """The touches of the opp's confirmed members (as of `as_of`) from the look-back window before
    its creation until its close, with each model's split in cents, and `excluded`: how many
    touches of the account's other people were left out (`excluded_people`: of how many people)."""
    return await reports.opp_touches(uow, settings, opp_id, as_moment(as_of))


router.include_router(reports_router)
