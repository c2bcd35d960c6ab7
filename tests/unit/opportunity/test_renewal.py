"""Renewal arithmetic, SLA state and the reverse funnel: pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.opportunity.domain.pipelines import DEFAULT_PIPELINES
from services.opportunity.domain.planner import Rates, funnel_levels, reverse_funnel
from services.opportunity.domain.renewal import add_months, renewal_terms
from services.opportunity.domain.sla import sla_status


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 3, 15), 12, date(2027, 3, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # month end, common year
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # month end, leap year
        (date(2028, 2, 29), 12, date(2029, 2, 28)),  # leap day to a common year
        (date(2027, 2, 28), 12, date(2028, 2, 29)),  # a month end stays a month end
        (date(2026, 4, 30), 1, date(2026, 5, 31)),
        (date(2026, 5, 30), 1, date(2026, 6, 30)),
        (date(2026, 1, 30), 1, date(2026, 2, 28)),  # clamped, not month-end
        (date(2026, 11, 15), 3, date(2027, 2, 15)),  # over the year boundary
        (date(2026, 12, 31), 14, date(2028, 2, 29)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_renewal_terms_prefer_the_csm_and_default_the_term() -> None:
    terms = renewal_terms(
        won_close_date=date(2028, 2, 29),
        term_months=None,
        amount=120.0,
        csm="cara",
        owner="olga",
        default_term_months=12,
    )
    assert (terms.close_date, terms.amount, terms.term_months, terms.owner) == (
        date(2029, 2, 28),
        120.0,
        12,
        "cara",
    )
    no_csm = renewal_terms(
        won_close_date=date(2026, 6, 30),
        term_months=24,
        amount=None,
        csm=None,
        owner="olga",
        default_term_months=12,
    )
    assert (no_csm.close_date, no_csm.owner) == (date(2028, 6, 30), "olga")


def test_sla_state() -> None:
    entered = datetime(2026, 1, 1, tzinfo=UTC)
    assert sla_status(entered, None, entered + timedelta(days=400)).state == "none"
    ok = sla_status(entered, 24.0, entered + timedelta(hours=23))
    assert ok.state == "ok" and ok.due_at == entered + timedelta(hours=24)
    late = sla_status(entered, 24.0, entered + timedelta(hours=26))
    assert late.state == "breached" and late.overdue_by_seconds == 7200.0


def test_reverse_funnel_rounds_every_level_up() -> None:
    rates = Rates(suspect_to_prospect=0.5, prospect_to_mql=0.2, mql_to_sql=0.5, sql_to_win=0.25)
    needed = reverse_funnel(revenue_target=1_000_000, marketing_share=0.6, average_price=50_000, rates=rates)
    # 600k / 50k = 12 wins; /0.25 = 48 SQLs; /0.5 = 96 MQLs; /0.2 = 480 prospects; /0.5 = 960 suspects
    assert (needed.opps, needed.sqls, needed.mqls, needed.prospects, needed.suspects) == (
        12,
        48,
        96,
        480,
        960,
    )
    odd = reverse_funnel(revenue_target=100_000, marketing_share=1.0, average_price=30_000, rates=rates)
    assert odd.opps == 4 and odd.sqls == 16


def test_funnel_levels_follow_the_marketing_and_sdr_marks() -> None:
    assert funnel_levels(DEFAULT_PIPELINES["acquisition"]) == {
        "suspects": ("target",),
        "prospects": ("active", "engaged"),
        "mqls": ("prioritized",),
        "sqls": ("qualified", "pipeline"),
    }
