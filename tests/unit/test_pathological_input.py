"""Every normaliser against input built to hurt: very long, deeply nested, mixed scripts, NUL,
lone surrogates, huge numbers. Each call must answer (a value or a ValueError) within a CPU-time
budget: what runs on the event loop must never stall it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import pytest

from services.ingest.domain import normalise
from services.ingest.domain.companies import clean_company
from services.ingest.domain.people import department, seniority, split_name
from services.matcher.domain.names import company_name, domain_label
from services.opportunity.domain.personas import DEFAULT_PERSONAS, suggest
from shared.domains import registrable_domain

BUDGET = 0.25  # CPU seconds per call; the worst of these takes a few milliseconds

LONG = "a" * 100_000
SPACES = "1" + " " * 5_000 + "x"
MIXED = "Ωmega Gmbh Москва 東京 株式会社 " * 2_000
NUL = "ad\x00a@exa\x00mple.com"
SURROGATE = "lone \ud800 surrogate"
DIGITS = "9" * 5_000
PUNCTUATION = "-" * 10_000 + "@" + "." * 10_000
NASTY: list[Any] = [LONG, SPACES, MIXED, NUL, SURROGATE, DIGITS, PUNCTUATION, "", " \t\n", "@", "a@b"]


def deep(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": [value]}
    return value


def answers(call: Callable[[Any], Any], value: Any) -> None:
    started = time.process_time()
    # Refusing is an answer; anything else (OverflowError, TypeError) is a bug.
    with contextlib.suppress(ValueError, RecursionError):
        call(value)
    spent = time.process_time() - started
    assert spent < BUDGET, f"{call.__name__} took {spent:.2f} s of CPU on {str(value)[:40]!r}..."


NORMALISERS: list[Callable[[Any], Any]] = [
    normalise.normalise_email,
    normalise.clean_text,
    normalise.country_code,
    normalise.phone_e164,
    normalise.flag,
    normalise.employee_count,
    normalise.storable,
    lambda v: normalise.is_free_mail(str(v)),
    lambda v: normalise.email_domain(str(v)),
    clean_company,
    split_name,
    seniority,
    department,
    registrable_domain,
    company_name,
    domain_label,
    lambda v: suggest(DEFAULT_PERSONAS, title=v, seniority=None, department=None),
]


@pytest.mark.parametrize("call", NORMALISERS, ids=lambda c: getattr(c, "__name__", "lambda"))
@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_every_normaliser_answers_in_time(call: Callable[[Any], Any], value: Any) -> None:
    answers(call, value)


@pytest.mark.parametrize("value", [10**400, -(10**30), float("inf"), float("nan"), 1e308, "1e999", "9" * 400])
def test_huge_numbers_are_refused_as_values_never_overflow(value: Any) -> None:
    with pytest.raises(ValueError):
        normalise.employee_count(value)


def test_deeply_nested_json_is_refused_or_kept_never_a_crash() -> None:
    answers(normalise.storable, deep(50))
    answers(normalise.storable, deep(5_000))


def test_storable_drops_nul_and_replaces_lone_surrogates() -> None:
    assert normalise.storable({"a\x00": ["x\x00y", SURROGATE]}) == {"a": ["xy", "lone ? surrogate"]}
