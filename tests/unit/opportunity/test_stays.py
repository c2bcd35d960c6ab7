"""Time per stage from the history: entries, exits and cumulative time with re-entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.opportunity.domain.engagement import EngagementRule, next_stage
from services.opportunity.domain.identification import OpenOpp, identify
from services.opportunity.domain.personas import DEFAULT_PERSONAS, suggest
from services.opportunity.domain.stays import Move, stays

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_a_reentry_adds_to_the_cumulative_time_and_keeps_the_first_entry() -> None:
    moves = [Move("target", at(0)), Move("active", at(2)), Move("target", at(5)), Move("active", at(6))]
    times = stays(moves, now=at(10))
    target, active = times["target"], times["active"]
    assert (target.entries, target.seconds) == (2, 3 * 3600)
    assert (target.first_entered, target.last_entered, target.last_exited) == (at(0), at(5), at(6))
    assert (active.entries, active.seconds, active.last_exited) == (2, 7 * 3600, at(5))


def test_the_current_stay_counts_up_to_now_and_has_no_exit() -> None:
    [(stage, time)] = stays([Move("target", at(0))], now=at(1)).items()
    assert (stage, time.seconds, time.last_exited) == ("target", 3600, None)


def test_engagement_moves_only_forward_from_the_first_stages() -> None:
    rule = EngagementRule(to_active=1, to_engaged=2)
    assert [next_stage("target", n, rule) for n in (0, 1, 2)] == [None, "active", "engaged"]
    assert [next_stage("active", n, rule) for n in (1, 2)] == [None, "engaged"]
    assert next_stage("engaged", 9, rule) is None


def test_personas_suggest_in_order_and_say_why() -> None:
    assert (
        suggest(DEFAULT_PERSONAS, title="CFO", seniority="c_level", department="finance")[0]
        == "economic_buyer"
    )  # type: ignore[index]
    assert (
        suggest(DEFAULT_PERSONAS, title="VP Engineering", seniority="vp", department="engineering")[0]
        == "technical_buyer"
    )  # type: ignore[index]
    assert (
        suggest(DEFAULT_PERSONAS, title="CEO", seniority="c_level", department="executive")[0]
        == "decision_maker"
    )  # type: ignore[index]
    assert suggest(DEFAULT_PERSONAS, title=None, seniority=None, department=None) is None


def test_identification_never_guesses_and_never_founds_on_a_customer() -> None:
    opps = [OpenOpp("a", "acquisition", "x"), OpenOpp("b", "acquisition", "y"), OpenOpp("r", "renewal", None)]
    assert identify(opps, customer=False, key="x").join == ("a",)
    assert identify(opps, customer=False, key=None).join == ("a", "b")
    assert identify(opps, customer=False, key="z").found
    assert identify(opps, customer=True, key="x").join == ("r",)
    assert not identify([OpenOpp("a", "acquisition", None)], customer=True, key=None).found
