"""Closed won -> the Renewal opp: its close date, amount and owner."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date


def add_months(start: date, months: int) -> date:
    """`start` plus `months` calendar months; a month-end stays a month-end (Feb 28/29 included)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    if start.day == calendar.monthrange(start.year, start.month)[1]:
        return date(year, month, last)
    return date(year, month, min(start.day, last))


@dataclass(frozen=True)
class RenewalTerms:
    close_date: date
    amount: float | None
    term_months: int
    owner: str | None


def renewal_terms(
    *,
    won_close_date: date,
    term_months: int | None,
    amount: float | None,
    csm: str | None,
    owner: str | None,
    default_term_months: int,
) -> RenewalTerms:
    term = term_months or default_term_months
    return RenewalTerms(
        close_date=add_months(won_close_date, term),
        amount=amount,
        term_months=term,
        owner=csm or owner,
    )
