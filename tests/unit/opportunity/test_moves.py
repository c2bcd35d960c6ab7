"""Gates and stage moves on the default pipelines: pure rules, table-driven."""

from __future__ import annotations

from datetime import date

import pytest

from services.opportunity.domain.gates import check_gate
from services.opportunity.domain.moves import Move, Refusal, plan_move
from services.opportunity.domain.pipelines import COMMITTEE_ROLES, DEFAULT_PIPELINES

ACQ = DEFAULT_PIPELINES["acquisition"]
MONEY = {"amount": 50_000.0, "close_date": date(2027, 3, 31)}


def move(
    current: str, target: str, roles: set[str], fields: dict[str, object] | None = None
) -> Move | Refusal:
    return plan_move(ACQ, current, target, committee=COMMITTEE_ROLES, roles=roles, fields=fields or {})


@pytest.mark.parametrize(
    ("stage", "roles", "holds"),
    [
        ("target", set(), True),
        ("active", set(), False),
        ("active", {"influencer"}, True),
        ("active", {"user"}, False),  # not a committee role: does not count
        ("prioritized", {"champion"}, False),
        ("prioritized", {"champion", "influencer"}, True),
        ("qualified", {"champion", "influencer"}, False),  # 2 of 5 cannot enter qualified
        ("qualified", {"champion", "influencer", "technical_buyer"}, True),
    ],
)
def test_gates_count_distinct_committee_roles(stage: str, roles: set[str], holds: bool) -> None:
    failure = check_gate(ACQ.stage(stage), committee=COMMITTEE_ROLES, roles=roles, fields={})
    assert (failure is None) is holds


def test_the_pipeline_gate_names_the_missing_roles_the_count_and_the_fields() -> None:
    failure = check_gate(
        ACQ.stage("pipeline"), committee=COMMITTEE_ROLES, roles={"decision_maker", "influencer"}, fields={}
    )
    assert failure is not None
    assert failure.missing_roles == ("economic_buyer",)
    assert failure.uncovered_roles == ("economic_buyer", "champion", "technical_buyer")
    assert failure.missing_fields == ("amount", "close_date")
    assert failure.message() == (
        "the gate of 'pipeline' needs roles Economic Buyer and 1 more of Champion, Technical Buyer; "
        "has 2 of 4 committee roles; needs fields amount, close_date"
    )


def test_a_required_role_is_missing_even_when_the_count_is_met() -> None:
    roles = {"decision_maker", "champion", "influencer", "technical_buyer"}
    failure = check_gate(ACQ.stage("pipeline"), committee=COMMITTEE_ROLES, roles=roles, fields=MONEY)
    assert failure is not None
    assert (
        failure.message() == "the gate of 'pipeline' needs roles Economic Buyer; has 4 of 4 committee roles"
    )


def test_only_fields_missing() -> None:
    roles = {"decision_maker", "economic_buyer", "champion", "influencer"}
    failure = check_gate(
        ACQ.stage("pipeline"), committee=COMMITTEE_ROLES, roles=roles, fields={"amount": 1.0}
    )
    assert failure is not None and failure.message() == "the gate of 'pipeline' needs fields close_date"


def test_forward_one_stage() -> None:
    assert move("target", "active", {"champion"}) == Move("forward", "target", "active")


def test_forward_refused_names_the_gate() -> None:
    refused = move("prioritized", "qualified", {"champion", "influencer"})
    assert isinstance(refused, Refusal) and not refused.invalid and refused.reason == "gate_failed"
    assert refused.failures[0].stage == "qualified"
    assert refused.detail == (
        "the gate of 'qualified' needs roles 1 more of Decision Maker, Economic Buyer, Technical Buyer; "
        "has 2 of 3 committee roles"
    )


def test_skipping_is_allowed_when_every_skipped_gate_holds() -> None:
    roles = {"champion", "influencer", "technical_buyer"}
    assert move("target", "qualified", roles) == Move(
        "skip", "target", "qualified", ("active", "engaged", "prioritized")
    )


def test_skipping_is_refused_at_the_first_gate_that_fails() -> None:
    refused = move("target", "prioritized", {"champion"})
    assert isinstance(refused, Refusal)
    assert [f.stage for f in refused.failures] == ["prioritized"]
    assert refused.detail.endswith("(moving through active, engaged, prioritized)")


def test_backward_is_allowed_without_gates() -> None:
    assert move("qualified", "active", set()) == Move("backward", "qualified", "active")


def test_closing_won_needs_the_win_gate_and_lost_needs_nothing() -> None:
    full = set(COMMITTEE_ROLES)
    assert move("pipeline", "closed_won", full, MONEY) == Move("close", "pipeline", "closed_won")
    refused = move("pipeline", "closed_won", full)
    assert isinstance(refused, Refusal) and refused.failures[0].missing_fields == ("amount", "close_date")
    assert move("target", "closed_lost", set()) == Move("close", "target", "closed_lost")


@pytest.mark.parametrize(
    ("current", "target", "invalid", "reason"),
    [
        ("target", "demo", True, "unknown_stage"),
        ("target", "target", False, "same_stage"),
        ("closed_lost", "target", False, "closed"),
        ("closed_won", "closed_lost", False, "closed"),
        ("demo", "target", False, "stage_not_in_pipeline"),  # the configuration dropped its stage
    ],
)
def test_impossible_moves(current: str, target: str, invalid: bool, reason: str) -> None:
    refused = move(current, target, set(COMMITTEE_ROLES), MONEY)
    assert isinstance(refused, Refusal) and (refused.invalid, refused.reason) == (invalid, reason)


def test_renewal_closed_won_needs_money_only() -> None:
    renewal = DEFAULT_PIPELINES["renewal"]
    won = plan_move(renewal, "upcoming", "closed_won", committee=COMMITTEE_ROLES, roles=set(), fields=MONEY)
    assert won == Move("close", "upcoming", "closed_won")
    refused = plan_move(
        renewal,
        "engaged",
        "negotiation",
        committee=COMMITTEE_ROLES,
        roles={"champion", "influencer"},
        fields={},
    )
    assert isinstance(refused, Refusal) and refused.failures[0].missing_roles == ("economic_buyer",)


def _just_enough(gate_roles: tuple[str, ...], count: int) -> set[str]:
    roles = set(gate_roles)
    for role in COMMITTEE_ROLES:
        if len([r for r in roles if r in COMMITTEE_ROLES]) >= count:
            break
        roles.add(role)
    return roles


@pytest.mark.parametrize(
    ("opp_type", "stage"),
    [
        (p.type, s.name)
        for p in DEFAULT_PIPELINES.values()
        for s in p.stages
        if s.gate.roles_covered or s.gate.fields_required
    ],
)
def test_every_default_gate_holds_with_just_enough_and_fails_with_one_less(opp_type: str, stage: str) -> None:
    target = DEFAULT_PIPELINES[opp_type].stage(stage)
    gate = target.gate
    roles = _just_enough(gate.roles_required, gate.roles_covered)
    fields = {name: MONEY.get(name, "x") for name in gate.fields_required}
    assert check_gate(target, committee=COMMITTEE_ROLES, roles=roles, fields=fields) is None
    for role in roles:
        failure = check_gate(target, committee=COMMITTEE_ROLES, roles=roles - {role}, fields=fields)
        assert failure is not None and failure.stage == stage
    for name in fields:
        failure = check_gate(target, committee=COMMITTEE_ROLES, roles=roles, fields={**fields, name: None})
        assert failure is not None and failure.missing_fields == (name,)
