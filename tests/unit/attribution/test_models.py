"""The attribution models on hand-computed opps, and the splits' exact sums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.attribution.domain.models import MODELS, Milestones, ModelName, split, weights
from services.attribution.domain.touches import Opp, Touch, attribute, milestones, select

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
WEEK = timedelta(days=7)


def days_ago(*days: float) -> list[datetime]:
    return [NOW - timedelta(days=d) for d in days]


# Five touches: 50, 40, 20, 12 and 5 days ago; the lead was created at the second, the opp at
# the fourth (10 days ago). $1,000.00 = 100,000 cents.
FIVE = days_ago(50, 40, 20, 12, 5)
FIVE_MARKS = Milestones(first=0, lead_creation=1, opp_creation=3, last=4)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("first_touch", [100000, 0, 0, 0, 0]),
        ("last_touch", [0, 0, 0, 0, 100000]),
        ("linear", [20000, 20000, 20000, 20000, 20000]),
        # 40 / 40 and 20 over three: 6,666.67 each; the 2 cents left go to the earlier equal remainders.
        ("u_shaped", [40000, 40000, 6667, 6667, 6666]),
        ("w_shaped", [30000, 30000, 5000, 30000, 5000]),
        ("full_path", [22500, 22500, 10000, 22500, 22500]),
        # Weights 2^(-age/7 days) from the latest touch: 45, 35, 15, 7 and 0 days.
        ("time_decay", [656, 1766, 12798, 28260, 56520]),
    ],
)
def test_each_model_on_a_hand_computed_opp(model: ModelName, expected: list[int]) -> None:
    assert split(100000, weights(model, FIVE, FIVE_MARKS, WEEK)) == expected


@pytest.mark.parametrize(
    ("model", "times", "marks", "expected"),
    [
        # One touch is every milestone: it gets everything.
        ("w_shaped", days_ago(3), Milestones(0, 0, 0, 0), [1000]),
        ("u_shaped", days_ago(3), Milestones(0, 0, 0, 0), [1000]),
        # Two touches, no rest: U-shaped's 40/40 become 50/50.
        ("u_shaped", days_ago(9, 3), Milestones(0, 1, 1, 1), [500, 500]),
        # First and lead creation on one touch (60), opp creation on the other (30): 2/3 and 1/3.
        ("w_shaped", days_ago(9, 3), Milestones(0, 0, 1, 1), [667, 333]),
        # Three touches, all milestones of W: 1/3 each, the spare cent to the earliest.
        ("w_shaped", days_ago(9, 6, 3), Milestones(0, 1, 2, 2), [334, 333, 333]),
        # Full path over three touches: opp creation and last on one touch (45 of 90).
        ("full_path", days_ago(9, 6, 3), Milestones(0, 1, 2, 2), [250, 250, 500]),
        ("linear", days_ago(9, 6, 3), Milestones(0, 0, 0, 2), [334, 333, 333]),
    ],
)
def test_milestones_that_coincide_share_one_touch(
    model: ModelName, times: list[datetime], marks: Milestones, expected: list[int]
) -> None:
    assert split(1000, weights(model, times, marks, WEEK)) == expected


@pytest.mark.parametrize(
    ("amount", "touch_weights", "expected"),
    [
        (100, [1] * 3, [34, 33, 33]),  # remainder to the earliest of equal ones
        (101, [1, 2], [34, 67]),
        (-100, [1] * 3, [-34, -33, -33]),  # a credit note splits like its opposite
        (0, [1] * 2, [0, 0]),
        (5, [0, 1], [0, 5]),  # a touch of weight zero never gets a cent
        (1, [1, 2], [0, 1]),  # the largest remainder wins
        (2, [1, 1, 1, 0], [1, 1, 0, 0]),
    ],
)
def test_split_remainder_rule(amount: int, touch_weights: list[int], expected: list[int]) -> None:
    assert split(amount, touch_weights) == expected


@given(
    amount=st.integers(min_value=-(10**12), max_value=10**12),
    ages=st.lists(st.floats(min_value=0, max_value=400), min_size=1, max_size=40),
    picks=st.tuples(*[st.integers(min_value=0, max_value=39)] * 3),
    half_life_days=st.floats(min_value=0.5, max_value=60),
)
def test_every_models_splits_sum_to_the_amount(
    amount: int, ages: list[float], picks: tuple[int, int, int], half_life_days: float
) -> None:
    times = sorted(NOW - timedelta(days=a) for a in ages)
    n = len(times)
    lead, opp, _ = (p % n for p in picks)
    marks = Milestones(first=0, lead_creation=lead, opp_creation=max(lead, opp), last=n - 1)
    for model in MODELS:
        cents = split(amount, weights(model, times, marks, timedelta(days=half_life_days)))
        assert sum(cents) == amount, model
        assert all(c * amount >= 0 for c in cents), model


def test_milestones_fall_on_the_last_touch_at_or_before_else_the_first_after() -> None:
    marks = milestones(
        FIVE, opp_created_at=NOW - timedelta(days=10), lead_created_at=NOW - timedelta(days=39)
    )
    assert marks == FIVE_MARKS
    early = milestones(FIVE, opp_created_at=NOW - timedelta(days=60), lead_created_at=None)
    assert (early.lead_creation, early.opp_creation) == (0, 0)


def _touch(i: int, person: str, campaign: str, days: float) -> Touch:
    return Touch(f"t{i:02}", person, campaign, "form_submit", NOW - timedelta(days=days))


def test_only_confirmed_members_touches_in_the_window_count_and_the_rest_are_counted_apart() -> None:
    opp = Opp("o", "a", "acquisition", created_at=NOW - timedelta(days=10), amount_cents=300000)
    members = {"c0", "c1", "c2"}
    touches = [_touch(i, f"c{i % 30}", f"k{i % 4}", days=20 + i % 7) for i in range(60)]
    touches.append(_touch(90, "c0", "old", days=200))  # before the 90-day look-back
    selection = select(opp, touches, members, lookback=timedelta(days=90))
    assert len(selection.counted) == 6 and {t.person_id for t in selection.counted} == members
    assert (selection.excluded_touches, selection.excluded_people) == (54, 27)


def test_a_closed_opp_ignores_touches_after_its_close_and_an_as_of_date_ignores_later_ones() -> None:
    opp = Opp("o", "a", "acquisition", NOW - timedelta(days=30), 1000, closed_at=NOW - timedelta(days=5))
    touches = [_touch(1, "c", "k", 40), _touch(2, "c", "k", 10), _touch(3, "c", "k", 2)]
    assert [t.touch_id for t in select(opp, touches, {"c"}, timedelta(days=90)).counted] == ["t01", "t02"]
    as_of = NOW - timedelta(days=20)
    assert [t.touch_id for t in select(opp, touches, {"c"}, timedelta(days=90), as_of).counted] == ["t01"]


def test_sourced_is_the_first_touch_before_creation_else_the_leads_original_campaign() -> None:
    opp = Opp("o", "a", "acquisition", created_at=NOW - timedelta(days=10), amount_cents=1000)
    before = select(opp, [_touch(1, "c", "webinar", 12), _touch(2, "c", "paid", 3)], {"c"}, WEEK * 13)
    found = attribute(opp, before, lead_created_at=None, original_campaign_id="list", half_life=WEEK)
    assert found.sourced_campaign_id == "webinar"
    after = select(opp, [_touch(2, "c", "paid", 3)], {"c"}, WEEK * 13)
    found = attribute(opp, after, lead_created_at=None, original_campaign_id="list", half_life=WEEK)
    assert found.sourced_campaign_id == "list"
    by_campaign = {c.campaign_id: c for c in found.credits}
    assert by_campaign["list"].sourced and by_campaign["list"].touches == 0
    assert by_campaign["list"].cents["linear"] == 0 and by_campaign["paid"].cents["linear"] == 1000


def test_an_opp_with_no_touch_and_no_source_has_no_rows() -> None:
    opp = Opp("o", "a", "acquisition", created_at=NOW, amount_cents=1000)
    found = attribute(
        opp, select(opp, [], set(), WEEK), lead_created_at=None, original_campaign_id=None, half_life=WEEK
    )
    assert found.credits == [] and found.sourced_campaign_id is None
