"""Opportunity's event handlers: local copies and the conversion automation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.opportunity.domain.pipelines import DEFAULT_PIPELINES
from services.opportunity.settings import OpportunitySettings
from services.opportunity.tables import (
    AccountCopy,
    ContactCopy,
    ContactRole,
    ContactRoleChange,
    Opportunity,
    StageMove,
    StageStamp,
)
from shared.events import (
    AccountCreated,
    AccountUpdated,
    Envelope,
    LeadConverted,
    OppContactRoleChanged,
    OppCreated,
    OppStageChanged,
)
from shared.telemetry import instruments
from shared.uow import UnitOfWork

CONVERSION_RULE = "automation:lead_converted"
# The predicate of the `one_open_acquisition` unique index (migration 0001).
ONE_OPEN_ACQUISITION = text("type = 'acquisition' AND closed_at IS NULL")


async def on_account_changed(
    event: AccountCreated | AccountUpdated, envelope: Envelope, uow: UnitOfWork
) -> None:
    version = envelope.aggregate_version or 0
    values = {
        "name": event.name,
        "owner": event.owner,
        "csm": event.csm,
        "is_customer": event.is_customer,
        "version": version,
    }
    stmt = insert(AccountCopy).values(account_id=event.account_id, **values)
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["account_id"],
            set_=values,
            where=col(AccountCopy.version) <= version,  # a stale event changes nothing
        )
    )


async def on_lead_converted(
    event: LeadConverted, _: Envelope, uow: UnitOfWork, *, settings: OpportunitySettings
) -> None:
    contact = {
        "account_id": event.account_id,
        "email": event.email,
        "first_name": event.first_name,
        "last_name": event.last_name,
        "title": event.title,
    }
    await uow.session.execute(
        insert(ContactCopy)
        .values(contact_id=event.contact_id, **contact)
        .on_conflict_do_update(index_elements=["contact_id"], set_=contact)
    )
    if settings.opportunity_creation_policy == "never":
        return
    opp = await _open_acquisition(uow, event)
    await _add_to_buying_group(uow, opp, event.contact_id, settings.opportunity_default_contact_role)


async def _open_acquisition(uow: UnitOfWork, event: LeadConverted) -> Opportunity:
    """The account's open Acquisition opp, created at its first stage if there is none."""
    now = datetime.now(UTC)
    stage = DEFAULT_PIPELINES["acquisition"].first_stage.name
    opp_id = await uow.session.scalar(
        insert(Opportunity)
        .values(
            opp_id=str(uuid.uuid4()),
            account_id=event.account_id,
            type="acquisition",
            stage=stage,
            owner=event.owner,
            created_by=CONVERSION_RULE,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=["account_id"],
            index_where=ONE_OPEN_ACQUISITION,
        )
        .returning(col(Opportunity.opp_id))
    )
    if opp_id is None:
        existing = await uow.session.scalar(
            select(Opportunity)
            .where(
                col(Opportunity.account_id) == event.account_id,
                col(Opportunity.type) == "acquisition",
                col(Opportunity.closed_at).is_(None),
            )
            .with_for_update()
        )
        assert existing is not None
        return existing
    opp = await uow.session.get_one(Opportunity, opp_id)
    uow.session.add(StageStamp(opp_id=opp_id, stage=stage, entered_at=now))
    uow.session.add(StageMove(opp_id=opp_id, from_stage=None, to_stage=stage, at=now, actor=CONVERSION_RULE))
    uow.emit(
        OppCreated(
            opp_id=opp_id,
            account_id=opp.account_id,
            type="acquisition",
            stage=stage,
            owner=opp.owner,
            created_by=CONVERSION_RULE,
        ),
        aggregate_version=opp.version,
    )
    uow.emit(
        OppStageChanged(
            opp_id=opp_id,
            account_id=opp.account_id,
            type="acquisition",
            from_stage=None,
            to_stage=stage,
            at=now,
            actor=CONVERSION_RULE,
        ),
        aggregate_version=opp.version,
    )
    instruments.domain_counter("stage.transitions", "Opportunity stage moves.").add(
        1, {"type": "acquisition", "to_stage": stage}
    )
    return opp


async def _add_to_buying_group(uow: UnitOfWork, opp: Opportunity, contact_id: str, role: str) -> None:
    has_members = await uow.session.scalar(
        select(col(ContactRole.contact_id)).where(col(ContactRole.opp_id) == opp.opp_id).limit(1)
    )
    primary = has_members is None
    added = await uow.session.scalar(
        insert(ContactRole)
        .values(opp_id=opp.opp_id, contact_id=contact_id, role=role, is_primary=primary)
        .on_conflict_do_nothing()
        .returning(col(ContactRole.contact_id))
    )
    if not added:
        return
    uow.session.add(
        ContactRoleChange(
            opp_id=opp.opp_id,
            contact_id=contact_id,
            role=role,
            change="added",
            actor=CONVERSION_RULE,
            at=datetime.now(UTC),
        )
    )
    uow.emit(
        OppContactRoleChanged(
            opp_id=opp.opp_id,
            account_id=opp.account_id,
            contact_id=contact_id,
            role=role,
            primary=primary,
            change="added",
        )
    )
