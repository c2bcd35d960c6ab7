"""The assignment rules, pure and table-driven: working hours read in each rep's time zone,
absence, capacity, territory, pools by specificity, and weighted round-robin within a turn."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest

from shared.assignment import (
    Member,
    Pool,
    Rep,
    Workload,
    choose,
    in_working_hours,
    out_of_office,
    pool_for,
    unavailable,
)
from shared.territory import Place, Territory

WEEKDAYS = (1, 2, 3, 4, 5)
TOKYO = Rep("kei", "sdr", time_zone="Asia/Tokyo", work_start=time(9), work_end=time(17), work_days=WEEKDAYS)
LA = Rep(
    "lou", "sdr", time_zone="America/Los_Angeles", work_start=time(9), work_end=time(17), work_days=WEEKDAYS
)
NEW_YORK = Rep("nia", "sdr", time_zone="America/New_York", work_start=time(9), work_end=time(17))
NIGHTS = Rep(
    "ned", "sdr", time_zone="Europe/Berlin", work_start=time(22), work_end=time(6), work_days=WEEKDAYS
)
DE = Place.of("DE", 500)


def utc(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """December 2026: the 7th is a Monday."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rep", "now", "working"),
    [
        (TOKYO, utc(7, 1), True),  # Monday 10:00 in Tokyo
        (TOKYO, utc(7, 7, 59), True),  # Monday 16:59 in Tokyo
        (TOKYO, utc(7, 8), False),  # Monday 17:00 in Tokyo: the end is not working
        (TOKYO, utc(6, 23, 30), False),  # Monday 08:30 in Tokyo, though Sunday in UTC
        (TOKYO, utc(6, 0, 30), False),  # Sunday 09:30 in Tokyo: not a working day
        (TOKYO, utc(11, 23, 30), False),  # Saturday 08:30 in Tokyo, Friday in UTC
        (LA, utc(7, 16), False),  # Monday 08:00 in Los Angeles
        (LA, utc(7, 17), True),  # Monday 09:00 in Los Angeles
        (LA, utc(8, 0, 30), True),  # Monday 16:30 in Los Angeles, Tuesday in UTC
        (LA, utc(12, 0, 30), True),  # Friday 16:30 in Los Angeles, Saturday in UTC
        (NEW_YORK, utc(7, 13, 30), False),  # 08:30 in winter (UTC-5)
        (NEW_YORK, utc(6, 13, 30, month=7), True),  # 09:30 in summer (UTC-4)
        (NIGHTS, utc(8, 2), True),  # Tuesday 03:00 in Berlin: Monday's night shift
        (NIGHTS, utc(12, 2), True),  # Saturday 03:00: Friday's night shift runs on
        (NIGHTS, utc(13, 2), False),  # Sunday 03:00: Saturday is not a working day
        (NIGHTS, utc(7, 22), True),  # Monday 23:00 in Berlin
        (NIGHTS, utc(7, 12), False),  # Monday 13:00 in Berlin
        (Rep("any", "sdr"), utc(13, 3), True),  # no hours given: always
    ],
)
def test_working_hours_are_read_in_the_reps_time_zone(rep: Rep, now: datetime, working: bool) -> None:
    assert in_working_hours(rep, now) is working


NOW = utc(7, 12)


@pytest.mark.parametrize(
    ("window", "away"),
    [
        ((None, None), False),
        ((NOW - timedelta(days=1), None), True),
        ((NOW - timedelta(days=1), NOW + timedelta(days=1)), True),
        ((NOW - timedelta(days=2), NOW - timedelta(days=1)), False),
        ((NOW + timedelta(hours=1), None), False),
        ((None, NOW), False),  # back from now on
        ((None, NOW + timedelta(minutes=1)), True),
    ],
)
def test_out_of_office_windows(window: tuple[datetime | None, datetime | None], away: bool) -> None:
    assert out_of_office(Rep("a", "sdr", out_of_office=window), NOW) is away


@pytest.mark.parametrize(
    ("rep", "load", "hours", "why"),
    [
        (Rep("a", "sdr"), 0, True, None),
        (Rep("a", "sdr", active=False), 0, True, "inactive"),
        (Rep("a", "sdr", out_of_office=(NOW, None)), 0, True, "out of office"),
        (TOKYO, 0, True, "outside working hours (Asia/Tokyo)"),
        (TOKYO, 0, False, None),  # owning an account is not work of the hour
        (Rep("a", "sdr", capacity=3), 2, True, None),
        (Rep("a", "sdr", capacity=3), 3, True, "at capacity (3 of 3 open)"),
        (Rep("a", "sdr", territory=Territory(regions=("apac",))), 0, True, "territory does not cover"),
        (Rep("a", "sdr", territory=Territory(segments=("mid_market",))), 0, True, None),
    ],
)
def test_who_cannot_take_work_now_and_why(rep: Rep, load: int, hours: bool, why: str | None) -> None:
    found = unavailable(rep, NOW, load, DE, hours=hours)
    assert found == why if why is None else (found is not None and found.startswith(why))


CATCH_ALL = Pool("world", "sdr", Territory(), ())
EMEA = Pool("emea", "sdr", Territory(regions=("emea",)), ())
DACH = Pool("dach", "sdr", Territory(countries=("DE", "AT", "CH")), ())
DACH_ENTERPRISE = Pool("dach-ent", "sdr", Territory(countries=("DE",), segments=("enterprise",)), ())
SALES_DE = Pool("ae-de", "sales", Territory(countries=("DE",)), ())
POOLS = (CATCH_ALL, EMEA, DACH, DACH_ENTERPRISE, SALES_DE)


@pytest.mark.parametrize(
    ("team", "place", "pool"),
    [
        ("sdr", Place.of("de", 500), DACH),
        ("sdr", Place.of("DE", 5000), DACH_ENTERPRISE),
        ("sdr", Place.of("FR", None), EMEA),
        ("sdr", Place.of("JP", 10), CATCH_ALL),
        ("sdr", Place.of(None, None), CATCH_ALL),
        ("sales", Place.of("DE", 5000), SALES_DE),
        ("sales", Place.of("FR", 5000), None),
        ("customer_success", DE, None),
    ],
)
def test_the_most_specific_pool_of_the_team_covering_the_place(
    team: str, place: Place, pool: Pool | None
) -> None:
    assert pool_for(POOLS, team, place) == pool


def team(*reps: Rep, weights: tuple[int, ...] = (), sticky: bool = False) -> tuple[Pool, dict[str, Rep]]:
    members = tuple(Member(r.rep_id, w) for r, w in zip(reps, weights or (1,) * len(reps), strict=True))
    return Pool("p", "sdr", Territory(), members, sticky=sticky, turn=4), {r.rep_id: r for r in reps}


def run(pool: Pool, reps: dict[str, Rep], n: int) -> list[str | None]:
    counts: Counter[str] = Counter()
    order = []
    for _ in range(n):
        decision = choose(pool, reps, Workload(counts=counts), NOW, DE)
        if decision.rep_id is not None:
            counts[decision.rep_id] += 1
        order.append(decision.rep_id)
    return order


def test_weights_are_respected_over_100_assignments_within_one_turn() -> None:
    pool, reps = team(Rep("a", "sdr"), Rep("b", "sdr"), Rep("c", "sdr"), weights=(3, 2, 1))
    order = run(pool, reps, 100)
    for n in range(1, 101):  # at every step, each member is within one of its share
        given = Counter(order[:n])
        assert all(abs(given[m.rep_id] - n * m.weight / 6) <= 1 for m in pool.members), (n, given)
    assert Counter(order) == {"a": 50, "b": 33, "c": 17}
    assert order[:6] == ["a", "b", "a", "c", "b", "a"]


def test_the_unavailable_are_skipped_and_named_in_the_explanation() -> None:
    away = Rep("b", "sdr", out_of_office=(NOW - timedelta(hours=1), None))
    pool, reps = team(
        Rep("a", "sdr", active=False), away, TOKYO, Rep("c", "sdr"), Rep("d", "sdr"), weights=(1, 1, 1, 1, 0)
    )
    decision = choose(pool, reps | {"ghost": Rep("ghost", "sdr")}, Workload(), NOW, DE)
    assert decision.rep_id == "c" and decision.rule == "round_robin" and decision.turn == 4
    skipped = {
        "a": "inactive",
        "b": "out of office",
        "kei": "outside working hours (Asia/Tokyo)",
        "d": "weight 0",
    }
    assert dict(decision.skipped) == skipped
    assert "b skipped: out of office" in decision.explain() and "turn 4" in decision.reason


def test_no_one_available_is_a_decision_with_its_reasons() -> None:
    pool, reps = team(Rep("a", "sdr", capacity=1), LA)
    decision = choose(pool, reps, Workload(open_work={"a": 1}), NOW, DE)
    assert decision.rep_id is None and decision.rule == "no_one_available"
    assert dict(decision.skipped)["a"].startswith("at capacity")


@pytest.mark.parametrize(
    ("sticky", "last", "exclude", "chosen", "rule"),
    [
        (True, "b", frozenset(), "b", "sticky"),
        (False, "b", frozenset(), "a", "round_robin"),
        (True, "c", frozenset(), "a", "round_robin"),  # c is away: the turn goes on
        (True, "b", frozenset({"b"}), "a", "round_robin"),  # b let it go
        (True, None, frozenset({"a"}), "b", "round_robin"),
    ],
)
def test_sticky_pools_keep_an_account_with_its_last_member_when_available(
    sticky: bool, last: str | None, exclude: frozenset[str], chosen: str, rule: str
) -> None:
    pool, reps = team(Rep("a", "sdr"), Rep("b", "sdr"), Rep("c", "sdr", active=False), sticky=sticky)
    decision = choose(pool, reps, Workload(last_for_account=last, exclude=exclude), NOW, DE)
    assert (decision.rep_id, decision.rule) == (chosen, rule)
