"""The matcher's /v1 routes for the people who sell: reps and the pools that share work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.matcher.app import teams
from services.matcher.domain.teams import PoolIn, PoolPatch, RepIn, RepPatch, StoredPool, StoredRep
from services.matcher.entrypoints.deps import UowDep
from shared.app import CallerDep
from shared.events.teams import Team

router = APIRouter(tags=["teams"])


@router.get("/reps")
async def list_reps(
    uow: UowDep,
    team: Team | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[StoredRep]:
    return await uow.teams.all_reps(team, limit, offset)


@router.get("/reps/{rep_id}")
async def get_rep(rep_id: str, uow: UowDep) -> StoredRep:
    return await teams.rep(uow, rep_id)


@router.put("/reps/{rep_id}")
async def put_rep(rep_id: str, body: RepIn, uow: UowDep, caller: CallerDep) -> StoredRep:
    """Create or replace the rep (emits `rep.updated`, the caller as `updated_by`); routing uses
    it from the next decision."""
    rep = await teams.put_rep(uow, rep_id, body, caller)
    await uow.commit()
    return rep


@router.patch("/reps/{rep_id}")
async def patch_rep(rep_id: str, body: RepPatch, uow: UowDep, caller: CallerDep) -> StoredRep:
    """Change what is sent (out of office, active, capacity...); emits `rep.updated`."""
    rep = await teams.patch_rep(uow, rep_id, body.model_dump(exclude_unset=True), caller)
    await uow.commit()
    return rep


@router.get("/pools")
async def list_pools(uow: UowDep, team: Team | None = None) -> list[StoredPool]:
    return await uow.teams.pools(team)


@router.get("/pools/{pool_id}")
async def get_pool(pool_id: str, uow: UowDep) -> StoredPool:
    return await teams.pool(uow, pool_id)


@router.put("/pools/{pool_id}")
async def put_pool(pool_id: str, body: PoolIn, uow: UowDep, caller: CallerDep) -> StoredPool:
    """Create or replace the pool (emits `pool.updated`); new members or weights start a new turn."""
    pool = await teams.put_pool(uow, pool_id, body, caller)
    await uow.commit()
    return pool


@router.patch("/pools/{pool_id}")
async def patch_pool(pool_id: str, body: PoolPatch, uow: UowDep, caller: CallerDep) -> StoredPool:
    pool = await teams.patch_pool(uow, pool_id, body.model_dump(exclude_unset=True), caller)
    await uow.commit()
    return pool
