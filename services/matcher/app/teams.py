"""The reps and pools routing shares work among: changed at run time, each change a whole-record
event (`rep.updated`, `pool.updated`) that every service that assigns copies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from services.matcher.app.uow import MatcherUnitOfWork
from services.matcher.domain.teams import PoolIn, RepIn, StoredPool, StoredRep
from shared.errors import Invalid, NotFound
from shared.events import PoolUpdated, RepUpdated

M = TypeVar("M", RepIn, PoolIn)
REP_RECORD = ("version", "updated_at", "updated_by", "rep_id")
POOL_RECORD = ("version", "updated_at", "updated_by", "pool_id", "turn")


async def rep(uow: MatcherUnitOfWork, rep_id: str) -> StoredRep:
    found = await uow.teams.rep(rep_id)
    if found is None:
        raise NotFound(f"No rep {rep_id}.")
    return found


async def put_rep(uow: MatcherUnitOfWork, rep_id: str, body: RepIn, actor: str) -> StoredRep:
    held = await uow.teams.rep(rep_id, lock=True)
    saved = StoredRep(
        **body.model_dump(),
        rep_id=rep_id,
        version=held.version + 1 if held else 1,
        updated_at=datetime.now(UTC),
        updated_by=actor,
    )
    await uow.teams.save_rep(saved)
    uow.emit(RepUpdated.model_validate(saved.model_dump()), aggregate_version=saved.version)
    return saved


async def patch_rep(uow: MatcherUnitOfWork, rep_id: str, changes: dict[str, Any], actor: str) -> StoredRep:
    held = await uow.teams.rep(rep_id, lock=True)
    if held is None:
        raise NotFound(f"No rep {rep_id}.")
    current = held.model_dump(exclude=set(REP_RECORD))
    return await put_rep(uow, rep_id, _merged(RepIn, current, changes), actor)


async def pool(uow: MatcherUnitOfWork, pool_id: str) -> StoredPool:
    found = await uow.teams.pool(pool_id)
    if found is None:
        raise NotFound(f"No pool {pool_id}.")
    return found


async def put_pool(uow: MatcherUnitOfWork, pool_id: str, body: PoolIn, actor: str) -> StoredPool:
    """A pool of known reps of its team; a change of members or weights starts a new turn."""
    await _check_members(uow, body)
    held = await uow.teams.pool(pool_id, lock=True)
    fields = body.model_dump()
    members = [(m["rep_id"], m["weight"]) for m in fields["members"]]
    same_turn = held is not None and [(m.rep_id, m.weight) for m in held.members] == members
    saved = StoredPool(
        **{**fields, "name": body.name or pool_id},
        pool_id=pool_id,
        turn=(held.turn if same_turn else held.turn + 1) if held else 1,
        version=held.version + 1 if held else 1,
        updated_at=datetime.now(UTC),
        updated_by=actor,
    )
    await uow.teams.save_pool(saved)
    uow.emit(PoolUpdated.model_validate(saved.model_dump()), aggregate_version=saved.version)
    return saved


async def patch_pool(uow: MatcherUnitOfWork, pool_id: str, changes: dict[str, Any], actor: str) -> StoredPool:
    held = await uow.teams.pool(pool_id, lock=True)
    if held is None:
        raise NotFound(f"No pool {pool_id}.")
    current = held.model_dump(exclude=set(POOL_RECORD))
    return await put_pool(uow, pool_id, _merged(PoolIn, current, changes), actor)


async def _check_members(uow: MatcherUnitOfWork, body: PoolIn) -> None:
    known = {r.rep_id: r for r in await uow.teams.reps([m.rep_id for m in body.members])}
    errors = [
        {"field": f"members[{n}].rep_id", "reason": _misfit(known.get(m.rep_id), m.rep_id, body.team)}
        for n, m in enumerate(body.members)
        if known.get(m.rep_id) is None or known[m.rep_id].team != body.team
    ]
    if errors:
        raise Invalid(f"{len(errors)} member(s) cannot join a {body.team} pool.", errors=errors)


def _misfit(rep: StoredRep | None, rep_id: str, team: str) -> str:
    return f"no rep {rep_id}" if rep is None else f"{rep_id} is on the {rep.team} team, not {team}"


def _merged(model: type[M], current: dict[str, Any], changes: dict[str, Any]) -> M:
    """The record with the changes applied, checked whole (a PATCH can break what a PUT checks)."""
    try:
        return model.model_validate({**current, **changes})
    except ValidationError as error:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "reason": e["msg"]}
            for e in error.errors()
        ]
        raise Invalid("The change leaves an invalid record.", errors=errors) from error
