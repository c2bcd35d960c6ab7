"""The open opportunities of each account, kept from opp events for the `open_opp` tie-breaker."""

from __future__ import annotations

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.matcher.tables import Account, AccountOpp
from shared.events import Envelope, OppCreated, OppStageChanged
from shared.uow import UnitOfWork


def is_open(stage: str) -> bool:
    """Closed stages are named `closed_*` in every pipeline (closed_won, closed_lost)."""
    return not stage.startswith("closed")


async def _recount(uow: UnitOfWork, account_id: str) -> None:
    await uow.session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('opps:' || :a))"), {"a": account_id}
    )
    open_opps = (
        select(func.count())
        .select_from(AccountOpp)
        .where(col(AccountOpp.account_id) == account_id, col(AccountOpp.open))
        .scalar_subquery()
    )
    await uow.session.execute(
        update(Account).where(col(Account.account_id) == account_id).values(open_opps=open_opps)
    )


async def on_opp_created(event: OppCreated, _: Envelope, uow: UnitOfWork) -> None:
    await uow.session.execute(
        insert(AccountOpp)
        .values(
            opp_id=event.opp_id, account_id=event.account_id, stage=event.stage, open=is_open(event.stage)
        )
        .on_conflict_do_nothing()
    )
    await _recount(uow, event.account_id)


async def on_opp_stage_changed(event: OppStageChanged, _: Envelope, uow: UnitOfWork) -> None:
    values = {"account_id": event.account_id, "stage": event.to_stage, "open": is_open(event.to_stage)}
    await uow.session.execute(
        insert(AccountOpp)
        .values(opp_id=event.opp_id, **values)
        .on_conflict_do_update(index_elements=["opp_id"], set_=values)
    )
    await _recount(uow, event.account_id)
