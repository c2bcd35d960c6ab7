"""Campaign use cases: create, change, read, list; and the campaign an engagement names, created
when it is new."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.attribution.app.models import Campaign
from services.attribution.app.uow import AttributionUnitOfWork
from services.attribution.domain.campaigns import CampaignIn, CampaignPatch, Reference
from shared.errors import Conflict, NotFound
from shared.events import CampaignCreated, CampaignUpdated


def _taken(campaign: Campaign) -> Conflict:
    return Conflict(
        f"A campaign named {campaign.name!r} or with this external id exists.",
        field="name",
        reason="a campaign already has this name or (source, external_id)",
    )


def _emit_created(uow: AttributionUnitOfWork, campaign: Campaign) -> None:
    fields = campaign.model_dump(exclude={"version", "created_at", "updated_at"})
    uow.emit(CampaignCreated(**fields), aggregate_version=campaign.version)


async def create(uow: AttributionUnitOfWork, body: CampaignIn, actor: str) -> Campaign:
    now = datetime.now(UTC)
    campaign = Campaign(
        campaign_id=str(uuid.uuid4()), created_by=actor, created_at=now, updated_at=now, **body.model_dump()
    )
    if not await uow.campaigns.add(campaign):
        raise _taken(campaign)
    _emit_created(uow, campaign)
    return campaign


async def get(uow: AttributionUnitOfWork, campaign_id: str) -> Campaign:
    found = await uow.campaigns.get(campaign_id)
    if found is None:
        raise NotFound(f"No campaign {campaign_id}.")
    return found


async def change(uow: AttributionUnitOfWork, campaign_id: str, patch: CampaignPatch) -> Campaign:
    current = await get(uow, campaign_id)
    given = patch.model_dump(exclude_unset=True)
    if given.get("name", current.name) is None:
        given.pop("name")
    changed = sorted(k for k, v in given.items() if getattr(current, k) != v)
    if not changed:
        return current
    merged = current.model_copy(
        update={**given, "version": current.version + 1, "updated_at": datetime.now(UTC)}
    )
    start, end = merged.start_date, merged.end_date
    if start and end and end < start:
        raise Conflict("end_date is before start_date.", field="end_date", reason="before start_date")
    if {"channel", "program"} & set(changed):
        await uow.credits.regroup(campaign_id, channel=merged.channel, program=merged.program)
    if not await uow.campaigns.save(merged):
        raise _taken(merged)
    fields = merged.model_dump(exclude={"version", "created_at", "updated_at"})
    uow.emit(CampaignUpdated(**fields, changed=changed), aggregate_version=merged.version)
    return merged


async def _adopt(uow: AttributionUnitOfWork, campaign: Campaign, ref: Reference) -> None:
    """A campaign known by name learns the platform's id from the first engagement that tells it."""
    adopted = campaign.model_copy(
        update={
            "external_id": ref.external_id,
            "source": campaign.source or ref.source,
            "version": campaign.version + 1,
            "updated_at": datetime.now(UTC),
        }
    )
    if await uow.campaigns.save(adopted):
        fields = adopted.model_dump(exclude={"version", "created_at", "updated_at"})
        uow.emit(
            CampaignUpdated(**fields, changed=["external_id", "source"]), aggregate_version=adopted.version
        )


async def resolve(uow: AttributionUnitOfWork, ref: Reference, named_by: str) -> str:
    """The campaign an engagement or a lead names (by the platform's id, else by name); an unknown
    one is created from what it says, `named_by` (`engagement from marketo`) its creator."""
    found = await uow.campaigns.find(ref)
    if found is None:
        now = datetime.now(UTC)
        campaign = Campaign(
            campaign_id=str(uuid.uuid4()),
            name=ref.display_name,
            external_id=ref.external_id,
            source=ref.source if ref.external_id else None,
            created_by=named_by,
            created_at=now,
            updated_at=now,
        )
        if await uow.campaigns.add(campaign):
            _emit_created(uow, campaign)
            return campaign.campaign_id
        found = await uow.campaigns.find(ref)  # a concurrent event created it first
        if found is None:
            raise _taken(campaign)
    if ref.external_id and found.external_id is None:
        await _adopt(uow, found, ref)
    return found.campaign_id
