"""Changing an opp's fields: each change kept in its history and emitted as `opp.updated`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.opportunity.app.models import FieldChange, Opportunity
from services.opportunity.app.uow import OpportunityUnitOfWork
from shared.events import OppUpdated


async def change_fields(
    uow: OpportunityUnitOfWork,
    opp: Opportunity,
    changes: dict[str, Any],
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
) -> dict[str, Any]:
    """Apply the changes that change something: each kept (from, to, who, when), one `opp.updated`."""
    previous = {name: getattr(opp, name) for name in changes}
    changed = {name: value for name, value in changes.items() if previous[name] != value}
    if not changed:
        return changed
    for name, value in changed.items():
        setattr(opp, name, value)
    await uow.opps.record_field_changes(
        [
            FieldChange(
                opp_id=opp.opp_id, field=name, previous=previous[name], value=value, actor=actor, at=now
            )
            for name, value in changed.items()
        ]
    )
    opp.version += 1
    opp.updated_at = now
    await uow.opps.save(opp)
    event = OppUpdated(
        opp_id=opp.opp_id,
        account_id=opp.account_id,
        type=opp.type,
        changed=changed,
        previous={name: previous[name] for name in changed},
        actor=actor,
        at=now,
        reason=reason,
    )
    uow.emit(event, aggregate_version=opp.version)
    return changed
