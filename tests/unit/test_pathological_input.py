"""Every normaliser against input built to hurt (`tests/support/hostile.py`): each call answers,
with a value or a ValueError, never another exception. What each costs in CPU is measured by
`bench/hostile_input.py`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest

from services.ingest.domain import normalise
from tests.support.hostile import NASTY, NORMALISERS, SURROGATE, deep


def answers(call: Callable[[Any], Any], value: Any) -> None:
    # Refusing is an answer; anything else (OverflowError, TypeError) is a bug.
    with contextlib.suppress(ValueError, RecursionError):
        call(value)


@pytest.mark.parametrize("call", NORMALISERS, ids=lambda c: getattr(c, "__name__", "lambda"))
@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_every_normaliser_answers_or_refuses(call: Callable[[Any], Any], value: Any) -> None:
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
