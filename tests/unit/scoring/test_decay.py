"""Decay arithmetic, the due time of the decay pass, and when a score is worth emitting."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.scoring.domain.decay import (
    CROSSING_MARGIN,
    Decaying,
    crossed,
    decayed,
    next_due,
    time_to_fall,
    worth_emitting,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)
HALF_LIFE = timedelta(days=30)


@pytest.mark.parametrize(
    ("days", "value"), [(0, 80.0), (30, 40.0), (60, 20.0), (15, 80 * 0.5**0.5), (-5, 80.0)]
)
def test_points_halve_every_half_life(days: float, value: float) -> None:
    assert decayed(80.0, timedelta(days=days), HALF_LIFE) == pytest.approx(value)


def test_adding_points_equals_summing_each_decayed_engagement() -> None:
    events = [
        (10.0, T0),
        (25.0, T0 + timedelta(days=12)),
        (4.0, T0 + timedelta(days=3)),
        (7.0, T0 + timedelta(days=40)),
    ]
    behaviour = Decaying(0.0, None)
    for points, at in events:
        behaviour = behaviour.plus(points, at, HALF_LIFE)
    now = T0 + timedelta(days=75)
    expected = sum(decayed(p, now - at, HALF_LIFE) for p, at in events)
    assert behaviour.ref_at == T0 + timedelta(days=40)  # a late, older event does not move the reference back
    assert behaviour.at(now, HALF_LIFE) == pytest.approx(expected)


def test_time_to_fall() -> None:
    assert time_to_fall(80, 20, HALF_LIFE) == timedelta(days=60)
    assert time_to_fall(10, 20, HALF_LIFE) == timedelta(0)
    assert time_to_fall(10, 0, HALF_LIFE) is None


def test_due_when_the_score_has_fallen_one_step() -> None:
    behaviour = Decaying(40.0, T0)
    due = next_due(
        base=20, behaviour=behaviour, emitted_score=60, step=20, thresholds=[100], half_life=HALF_LIFE
    )
    assert due == T0 + timedelta(days=30) + CROSSING_MARGIN  # 40 -> 20 behaviour: score 60 -> 40
    assert 20 + behaviour.at(due, HALF_LIFE) < 40


def test_due_when_the_score_falls_below_a_threshold_before_a_step() -> None:
    behaviour = Decaying(90.0, T0)
    due = next_due(
        base=20, behaviour=behaviour, emitted_score=110, step=50, thresholds=[100], half_life=HALF_LIFE
    )
    assert due is not None and 20 + behaviour.at(due, HALF_LIFE) < 100
    assert 20 + behaviour.at(due - 2 * CROSSING_MARGIN, HALF_LIFE) >= 100


def test_never_due_when_decay_cannot_move_the_score_a_step() -> None:
    assert (
        next_due(
            base=50,
            behaviour=Decaying(3, T0),
            emitted_score=53,
            step=5,
            thresholds=[100],
            half_life=HALF_LIFE,
        )
        is None
    )
    assert (
        next_due(
            base=50, behaviour=Decaying(0, None), emitted_score=50, step=5, thresholds=[], half_life=HALF_LIFE
        )
        is None
    )


@pytest.mark.parametrize(
    ("previous", "current", "news"),
    [
        (None, 0.0, True),
        (50, 54.9, False),
        (50, 55, True),
        (50, 45, True),
        (98, 101, True),
        (101, 99.5, True),
    ],
)
def test_worth_emitting(previous: float | None, current: float, news: bool) -> None:
    assert worth_emitting(previous, current, 5, [100]) is news


def test_crossed_lists_the_thresholds_between_two_scores() -> None:
    assert crossed(40, 130, [50, 100, 150]) == [50, 100]
    assert crossed(130, 40, [50, 100, 150]) == [50, 100]
    assert crossed(None, 60, [50, 100]) == [50]


def test_after_an_emission_the_next_due_time_is_always_later() -> None:
    rng = random.Random(0)
    for _ in range(20000):
        base, behaviour = rng.uniform(-60, 80), Decaying(rng.uniform(0, 300), T0)
        now = T0 + timedelta(days=rng.uniform(0, 200))
        emitted = base + behaviour.at(now, HALF_LIFE)  # as stored when emitted
        thresholds = [50.0, 100.0, round(emitted, 2)]  # also a threshold right at the score
        due = next_due(
            base=base,
            behaviour=behaviour,
            emitted_score=emitted,
            step=5,
            thresholds=thresholds,
            half_life=HALF_LIFE,
        )
        assert due is None or due > now
