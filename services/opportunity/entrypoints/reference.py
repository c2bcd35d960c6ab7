"""What clients read to show opportunities well (the console): the pipelines with their gates and
SLAs, and the people behind contact ids."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.opportunity.app.models import ContactCopy
from services.opportunity.entrypoints.deps import SettingsDep, UowDep
from shared.errors import Invalid

router = APIRouter(tags=["reference"])


@router.get("/pipelines")
async def pipelines(settings: SettingsDep) -> dict[str, Any]:
    """Each enabled type's stages in order: team, SLA hours, gate (committee roles to cover, roles and
    fields required), whether closed; the roles and the committee."""
    configured = settings.pipelines
    return {
        "roles": list(configured.roles),
        "committee": list(configured.committee),
        "pipelines": {
            opp_type: [
                {
                    "name": stage.name,
                    "team": stage.team,
                    "closed": stage.closed,
                    "sla_hours": stage.sla_hours,
                    "gate": {
                        "roles_covered": stage.gate.roles_covered,
                        "roles_required": list(stage.gate.roles_required),
                        "fields_required": list(stage.gate.fields_required),
                    },
                }
                for stage in pipeline.stages
            ]
            for opp_type, pipeline in configured.by_type.items()
        },
    }


@router.get("/contacts")
async def contacts(
    uow: UowDep,
    ids: Annotated[str | None, Query(max_length=20_000, description="comma-separated contact ids")] = None,
    account_id: Annotated[str | None, Query(max_length=255)] = None,
) -> list[ContactCopy]:
    """The contacts this service knows (name, email, title): these ids, or the account's (500 at most)."""
    wanted = [i for i in (ids or "").split(",") if i][:500]
    if not wanted and not account_id:
        raise Invalid("Give ids or account_id.", field="ids")
    return await uow.copies.find_contacts(ids=wanted, account_id=account_id)
