"""Lifecycle transitions: rules up to MQL, sales moves and recycling, deals forward only."""

import pytest

from services.scoring.domain.lifecycle import TransitionRefused, by_deal, by_rules, by_sales


def path(current: str, score: float, fit: float = 0, known: bool = True, engaged: bool = False) -> list[str]:
    steps = by_rules(
        current,
        score=score,
        fit=fit,
        known=known,
        engaged_since_recycled=engaged,
        mql_threshold=100,
        prospect_fit=1,
    )
    return [stage for stage, _ in steps]


def rules(current: str, score: float, fit: float = 0, known: bool = True, engaged: bool = False) -> str:
    return (path(current, score, fit, known, engaged) or [current])[-1]


@pytest.mark.parametrize(
    ("current", "score", "fit", "known", "engaged", "expected"),
    [
        ("suspect", 0, 0, True, False, "suspect"),
        ("suspect", 10, 10, False, False, "suspect"),
        ("suspect", 10, 10, True, False, "prospect"),
        ("prospect", 100, 20, True, False, "mql"),
        ("suspect", 120, 0, True, False, "mql"),
        ("mql", 40, 20, True, False, "mql"),
        ("prospect", 5, -10, True, False, "prospect"),
        ("sql", 5, 5, True, False, "sql"),
        ("nurture", 150, 20, True, False, "nurture"),
        ("nurture", 150, 20, True, True, "mql"),
    ],
)
def test_rules(current: str, score: float, fit: float, known: bool, engaged: bool, expected: str) -> None:
    assert rules(current, score, fit, known, engaged) == expected


@pytest.mark.parametrize(
    ("current", "score", "fit", "known", "expected"),
    [
        ("suspect", 150, 20, True, ["prospect", "mql"]),  # a batch of engagements at once
        ("suspect", 150, 0, True, ["mql"]),  # no fit: never a prospect
        ("suspect", 150, 20, False, ["mql"]),  # not known: never a prospect
        ("prospect", 150, 20, True, ["mql"]),
        ("mql", 150, 20, True, []),
    ],
)
def test_a_suspect_passes_through_prospect_on_the_way_to_mql_when_it_qualifies_as_one(
    current: str, score: float, fit: float, known: bool, expected: list[str]
) -> None:
    assert path(current, score, fit, known) == expected


@pytest.mark.parametrize(
    ("current", "to", "reason"),
    [
        ("mql", "sal", None),
        ("sal", "sql", None),
        ("sql", "nurture", "project slipped"),
        ("mql", "nurture", "no budget"),
    ],
)
def test_sales_moves(current: str, to: str, reason: str | None) -> None:
    assert by_sales(current, to, reason) == to


@pytest.mark.parametrize(
    ("current", "to", "reason", "message"),
    [
        ("suspect", "sql", None, "sql is reached from sal, mql"),
        ("customer", "sal", None, "cannot move from customer to sal"),
        ("sql", "nurture", " ", "recycling needs a reason"),
        ("mql", "customer", None, "not 'customer'"),
    ],
)
def test_sales_moves_refused(current: str, to: str, reason: str | None, message: str) -> None:
    with pytest.raises(TransitionRefused, match=message):
        by_sales(current, to, reason)


@pytest.mark.parametrize(
    ("current", "to", "expected"),
    [
        ("mql", "opportunity", "opportunity"),
        ("nurture", "opportunity", "opportunity"),
        ("opportunity", "opportunity", None),
        ("customer", "opportunity", None),
        ("opportunity", "customer", "customer"),
    ],
)
def test_deals_move_people_forward_only(current: str, to: str, expected: str | None) -> None:
    assert by_deal(current, to) == expected
