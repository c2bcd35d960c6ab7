"""Buying groups as scoring sees them, fed by opportunity events, and the lifecycle moves they
cause: a contact in an open deal's group is at `opportunity`, one in a won deal is `customer`."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.scoring import people, scorer
from services.scoring.domain import lifecycle
from services.scoring.settings import ScoringSettings
from services.scoring.tables import Deal, GroupMember
from shared.events import Envelope, OppContactRoleChanged, OppCreated, OppStageChanged
from shared.uow import UnitOfWork

WON = "closed_won"
LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:key))")


def _closed(stage: str | None) -> bool:
    return bool(stage) and str(stage).startswith("closed")


async def _upsert_deal(uow: UnitOfWork, opp_id: str, account_id: str, stage: str | None) -> None:
    values = {"opp_id": opp_id, "account_id": account_id}
    if stage is None:
        await uow.session.execute(insert(Deal).values(**values).on_conflict_do_nothing())
        return
    state = {"stage": stage, "is_closed": _closed(stage), "is_won": stage == WON}
    await uow.session.execute(
        insert(Deal).values(**values, **state).on_conflict_do_update(index_elements=["opp_id"], set_=state)
    )


async def lock_contacts(uow: UnitOfWork, contact_ids: list[str]) -> None:
    """Serialise a conversion and the buying-group events of the same contact: arriving on
    different topics at once, each would otherwise miss what the other has not committed yet."""
    for contact_id in sorted(set(contact_ids)):
        await uow.session.execute(LOCK, {"key": f"scoring-contact:{contact_id}"})


async def deal_stage_of(uow: UnitOfWork, contact_id: str) -> str | None:
    """`customer` when the contact is in a won deal's buying group, `opportunity` in an open one."""
    rows = await uow.session.execute(
        select(col(Deal.is_closed), col(Deal.is_won))
        .join(GroupMember, col(Deal.opp_id) == col(GroupMember.opp_id))
        .where(col(GroupMember.contact_id) == contact_id)
    )
    states = list(rows)
    if any(won for _, won in states):
        return "customer"
    return "opportunity" if any(not closed for closed, _ in states) else None


async def _advance(
    uow: UnitOfWork, contact_ids: list[str], to: str, actor: str, reason: str, settings: ScoringSettings
) -> None:
    now = datetime.now(UTC)
    for person in await people.by_contacts(uow, contact_ids, lock=True):
        stage = lifecycle.by_deal(person.lifecycle_stage, to)
        if stage is None:
            continue
        change = scorer.move(uow, person, lifecycle.Change(person.lifecycle_stage, stage, now, actor, reason))
        scorer.settle(uow, person, settings, now, change=change)


async def on_opp_created(event: OppCreated, _: Envelope, uow: UnitOfWork, settings: ScoringSettings) -> None:
    await _upsert_deal(uow, event.opp_id, event.account_id, event.stage)


async def on_opp_stage_changed(
    event: OppStageChanged, _: Envelope, uow: UnitOfWork, settings: ScoringSettings
) -> None:
    await _upsert_deal(uow, event.opp_id, event.account_id, event.to_stage)
    if event.to_stage == WON:
        members = list(
            await uow.session.scalars(
                select(col(GroupMember.contact_id)).where(col(GroupMember.opp_id) == event.opp_id)
            )
        )
        await lock_contacts(uow, members)
        await _advance(uow, members, "customer", event.actor, f"deal {event.opp_id} won", settings)


async def on_contact_role_changed(
    event: OppContactRoleChanged, _: Envelope, uow: UnitOfWork, settings: ScoringSettings
) -> None:
    await lock_contacts(uow, [event.contact_id])
    await _upsert_deal(uow, event.opp_id, event.account_id, None)
    key = {"opp_id": event.opp_id, "contact_id": event.contact_id}
    if event.change == "removed":
        await uow.session.execute(
            delete(GroupMember).where(
                col(GroupMember.opp_id) == event.opp_id, col(GroupMember.contact_id) == event.contact_id
            )
        )
        return
    role = {"account_id": event.account_id, "role": event.role, "is_primary": event.primary}
    await uow.session.execute(
        insert(GroupMember)
        .values(**key, **role)
        .on_conflict_do_update(index_elements=["opp_id", "contact_id"], set_=role)
    )
    if await deal_stage_of(uow, event.contact_id) == "opportunity":
        reason = f"{event.role} in the buying group of deal {event.opp_id}"
        await _advance(uow, [event.contact_id], "opportunity", "buying group", reason, settings)
