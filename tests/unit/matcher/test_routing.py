"""Reps and pools as data, and owner routing on them: an inactive owner or none gets an active
one from the account's sales pool, with `account.updated`; pools change without a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.matcher.app import accounts, teams
from services.matcher.app.conversion import route
from services.matcher.domain.teams import MemberIn, PoolIn, RepIn
from shared.errors import Invalid, NotFound
from shared.territory import Place
from tests.unit.matcher.fakes import FakeMatcherUnitOfWork

DE = Place.of("DE", 50)


async def team(uow: FakeMatcherUnitOfWork, *reps: str, weights: tuple[int, ...] = ()) -> None:
    for rep in reps:
        await teams.put_rep(uow, rep, RepIn(name=rep.title(), team="sales"), "rita")
    members = [MemberIn(rep_id=r, weight=w) for r, w in zip(reps, weights or (1,) * len(reps), strict=True)]
    await teams.put_pool(uow, "dach", PoolIn(team="sales", countries=["de", "AT"], members=members), "rita")


async def test_a_rep_and_a_pool_are_records_with_versions_and_events() -> None:
    uow = FakeMatcherUnitOfWork()
    await team(uow, "ann", "bo")
    pool = await teams.pool(uow, "dach")
    assert pool.countries == ["DE", "AT"] and pool.turn == 1 and pool.name == "dach"
    changed = await teams.patch_rep(uow, "ann", {"capacity": 5}, "Olga (via console)")
    assert changed.version == 2 and changed.capacity == 5 and changed.name == "Ann"
    assert changed.updated_by == "Olga (via console)"
    assert uow.events("rep.updated")[-1]["updated_by"] == "Olga (via console)"
    assert uow.types().count("rep.updated") == 3 and uow.types().count("pool.updated") == 1
    same = await teams.patch_pool(uow, "dach", {"sticky": True}, "rita")
    assert same.turn == 1, "no change of members or weights: the turn goes on"
    reweighted = await teams.patch_pool(uow, "dach", {"members": [{"rep_id": "ann", "weight": 3}]}, "rita")
    assert reweighted.turn == 2 and reweighted.version == 3


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"members": [{"rep_id": "nobody"}]}, "members[0].rep_id"),
        ({"team": "sdr"}, "members[0].rep_id"),
        ({"members": [{"rep_id": "ann"}, {"rep_id": "ann"}]}, "body"),
        ({"regions": ["mars"]}, "regions.0"),
    ],
)
async def test_a_pool_change_that_breaks_it_is_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    uow = FakeMatcherUnitOfWork()
    await team(uow, "ann")
    with pytest.raises(Invalid) as refused:
        await teams.patch_pool(uow, "dach", changes, "rita")
    assert field in [e["field"] for e in refused.value.errors]


async def test_a_rep_patch_is_checked_whole_and_unknown_ones_are_not_found() -> None:
    uow = FakeMatcherUnitOfWork()
    await team(uow, "ann")
    with pytest.raises(Invalid):
        await teams.patch_rep(uow, "ann", {"time_zone": "Mars/Olympus"}, "rita")
    now = datetime.now(UTC)
    with pytest.raises(Invalid):
        await teams.patch_rep(uow, "ann", {"out_of_office_from": now, "out_of_office_until": now}, "rita")
    with pytest.raises(NotFound):
        await teams.patch_rep(uow, "zed", {"active": False}, "rita")


async def test_an_active_owner_keeps_the_account_and_an_unknown_name_is_trusted() -> None:
    uow = FakeMatcherUnitOfWork()
    await team(uow, "ann", "bo")
    assert (await route(uow, "ann", DE)).reason == "the account's owner"
    assert (await route(uow, "olga", DE)).owner == "olga", "an owner the directory does not know"


async def test_an_inactive_owner_is_replaced_from_the_pool_with_an_account_update() -> None:
    uow = FakeMatcherUnitOfWork()
    await team(uow, "ann", "bo")
    account = await accounts.create_account(uow, {"name": "Acme", "country": "DE", "owner": "ann"})
    await teams.patch_rep(uow, "ann", {"active": False}, "rita")
    assignment = await route(uow, "ann", Place.of("FR", None), account_id=account.account_id)
    assert assignment.owner == "bo" and assignment.pool == "dach"
    assert (
        "the account's owner ann is inactive" in assignment.reason
        and "ann skipped: inactive" in assignment.reason
    )
    updated = uow.events("account.updated")[-1]
    assert updated["owner"] == "bo" and (await accounts.account(uow, account.account_id)).owner == "bo"


async def test_an_account_without_owner_gets_one_and_the_turn_is_weighted() -> None:
    uow = FakeMatcherUnitOfWork()
    await team(uow, "ann", "bo", weights=(2, 1))
    owners = []
    for n in range(6):
        account = await accounts.create_account(uow, {"name": f"Co {n}", "country": "AT"})
        owners.append((await route(uow, None, DE, account_id=account.account_id)).owner)
    assert owners == ["ann", "bo", "ann", "ann", "bo", "ann"]
    assert len(uow.events("account.updated")) == 6


async def test_out_of_office_is_skipped_and_no_pool_means_no_owner() -> None:
    uow = FakeMatcherUnitOfWork()
    await team(uow, "ann", "bo")
    now = datetime.now(UTC)
    await teams.patch_rep(uow, "ann", {"out_of_office_from": now - timedelta(days=1)}, "rita")
    assert (await route(uow, None, DE)).owner == "bo"
    assert (await route(uow, None, DE)).owner == "bo"
    nowhere = await route(uow, None, Place.of("JP", None))
    assert nowhere.owner is None and "no sales pool covers country JP" in nowhere.reason
