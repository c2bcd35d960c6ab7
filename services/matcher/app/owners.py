"""An inactive owner never receives work: a scheduled job gives every account whose owner the
directory knows inactive the next available member of its territory's sales pool
(`account.updated`), in batches; an account no one can take waits for the next run."""

from __future__ import annotations

from collections.abc import Callable

from services.matcher.app.conversion import route
from services.matcher.app.uow import MatcherUnitOfWork
from services.matcher.settings import MatcherSettings
from shared.jobs import Job
from shared.telemetry import instruments
from shared.territory import Place

BATCH = 200


async def replace_inactive_owners(uow: MatcherUnitOfWork) -> tuple[int, int]:
    """Up to BATCH accounts of inactive owners re-owned; (looked at, re-owned). The caller commits."""
    held = await uow.accounts.of_inactive_owners(BATCH)
    replaced = 0
    for account in held:
        assignment = await route(
            uow, account.owner, Place.of(account.country, account.employees), account_id=account.account_id
        )
        replaced += assignment.owner not in (None, account.owner)
    if replaced:
        instruments.domain_counter("owners.replaced", "Accounts of inactive owners given an active one.").add(
            replaced
        )
    return len(held), replaced


async def run(uows: Callable[[], MatcherUnitOfWork], settings: MatcherSettings) -> int:
    total = 0
    while True:
        async with uows() as uow:
            looked, replaced = await replace_inactive_owners(uow)
            await uow.commit()
        total += replaced
        if looked < BATCH or replaced == 0:
            return total


OWNER_SCAN = Job("owner-scan", every=lambda s: s.matcher_owner_scan_seconds, run=run)
