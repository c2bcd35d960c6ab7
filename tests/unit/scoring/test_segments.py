"""Segments: the built-in ones and the typed rule language (pure), and membership kept from
events with `segment.membership_changed` for each entry and exit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.scoring.app.segments import refresh_due
from services.scoring.domain.segments import BuiltInConfig, Facts, Seat, SegmentRule, evaluate
from services.scoring.settings import ScoringSettings
from shared.events import OppContactRoleChanged, OppCreated, OppStageChanged
from tests.unit.scoring.fakes import FakeScoringUnitOfWork
from tests.unit.scoring.test_app import NOW, conversion, deliver, lead

CONFIG = BuiltInConfig(
    exclusion_stages=frozenset({"qualified", "pipeline"}),
    engaged_within=timedelta(days=30),
    mql_sla=timedelta(hours=48),
    committee=frozenset({"champion", "economic_buyer"}),
)


def facts(*seats: Seat, **values: Any) -> Facts:
    base: dict[str, Any] = {
        "person_id": "p",
        "lifecycle_stage": "opportunity",
        "stage_changed_at": NOW,
        "score": 50.0,
        "fit": 40.0,
        "behaviour": 10.0,
        "last_engaged_at": NOW,
    }
    return Facts(**{**base, **values}, seats=seats)


def seat(status: str = "confirmed", stage: str = "qualified", **values: Any) -> Seat:
    base: dict[str, Any] = {
        "opp_id": "o1",
        "role": "champion",
        "suggested_role": None,
        "open": True,
        "covered": frozenset(),
    }
    return Seat(status=status, stage=stage, **{**base, **values})


@pytest.mark.parametrize(
    "person, expected",
    [
        (facts(seat()), {"open-opp-members-past-stage"}),
        (facts(seat(stage="engaged")), set()),
        (facts(seat(open=False)), set()),
        (
            facts(seat(), last_engaged_at=NOW - timedelta(days=31)),
            {"open-opp-members-past-stage", "unengaged-committee"},
        ),
        (
            facts(seat("potential", role=None, suggested_role="champion")),
            {"potential-members", "uncovered-roles"},
        ),
        (facts(seat("potential", role=None, suggested_role="user")), {"potential-members"}),
        (facts(lifecycle_stage="nurture", recycled_at=NOW), {"nurture", "recycled"}),
        (facts(lifecycle_stage="prospect"), {"nurture"}),
        (facts(lifecycle_stage="prospect", last_engaged_at=None), set()),
        (facts(lifecycle_stage="mql", stage_changed_at=NOW - timedelta(hours=49)), {"mql-not-accepted"}),
        (facts(lifecycle_stage="mql", stage_changed_at=NOW - timedelta(hours=47)), set()),
    ],
)
def test_built_in_segments(person: Facts, expected: set[str]) -> None:
    assert set(evaluate(person, CONFIG, [], NOW)[0]) == expected


def test_a_covered_role_is_no_target_and_time_alone_is_a_due_date() -> None:
    covered = seat("potential", role=None, suggested_role="champion", covered=frozenset({"champion"}))
    assert set(evaluate(facts(covered), CONFIG, [], NOW)[0]) == {"potential-members"}
    mql = facts(lifecycle_stage="mql", stage_changed_at=NOW)
    assert evaluate(mql, CONFIG, [], NOW)[1] == NOW + timedelta(hours=48)


def test_configured_rules_are_typed_and_evaluated() -> None:
    rule = SegmentRule.model_validate(
        {
            "segment_id": "hot-champions",
            "name": "Hot champions",
            "all": [
                {"field": "score", "op": "gte", "value": 40},
                {"field": "buying_role", "op": "in", "value": ["champion"]},
                {"field": "title", "op": "ne", "value": "student"},
            ],
        }
    )
    assert "hot-champions" in evaluate(facts(seat()), CONFIG, [rule], NOW)[0]
    assert "hot-champions" not in evaluate(facts(seat(), score=39), CONFIG, [rule], NOW)[0]


@pytest.mark.parametrize(
    "condition, message",
    [
        ({"field": "score", "op": "contains", "value": "x"}, "score takes gt"),
        ({"field": "score", "op": "gt", "value": "high"}, "needs a float"),
        ({"field": "title", "op": "in", "value": "cfo"}, "needs a list"),
        ({"field": "shoe_size", "op": "eq", "value": 42}, "field"),
    ],
)
def test_a_bad_rule_stops_the_service_at_start(condition: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ScoringSettings(scoring_segments=[{"segment_id": "s", "name": "S", "all": [condition]}])


async def test_membership_follows_events_and_each_change_is_emitted() -> None:
    uow = FakeScoringUnitOfWork()
    await deliver(uow, lead(1), 1)
    await deliver(uow, conversion(1))
    await deliver(
        uow, OppCreated(opp_id="o1", account_id="a1", type="acquisition", stage="engaged", created_by="x")
    )
    potential = OppContactRoleChanged(
        opp_id="o1",
        account_id="a1",
        contact_id="c1",
        role=None,
        change="added",
        status="potential",
        suggested_role="champion",
    )
    await deliver(uow, potential)
    assert uow.segments.of("uncovered-roles") == {"lead-1"}
    confirmed = potential.model_copy(update={"role": "champion", "status": "confirmed", "change": "changed"})
    await deliver(uow, confirmed)
    assert uow.segments.of("uncovered-roles") == set() and uow.segments.of("potential-members") == set()
    moved = OppStageChanged(
        opp_id="o1",
        account_id="a1",
        type="acquisition",
        from_stage="engaged",
        to_stage="qualified",
        at=NOW,
        actor="x",
    )
    await deliver(uow, moved)
    assert uow.segments.of("open-opp-members-past-stage") == {"lead-1"}
    changes = [(e["segment_id"], e["change"]) for e in uow.events("segment.membership_changed")]
    assert ("uncovered-roles", "added") in changes and ("uncovered-roles", "removed") in changes
    assert changes[-1] == ("open-opp-members-past-stage", "added")
    last = uow.events("segment.membership_changed")[-1]
    assert last["facts"]["buying_role"] == "champion" and last["facts"]["open_opp_stage"] == "qualified"
    assert last["email"] == "p1@acme.example"


async def test_time_alone_moves_an_mql_into_the_sla_segment() -> None:
    uow = FakeScoringUnitOfWork()
    await deliver(uow, lead(1), 1)
    person = uow.people.rows["lead-1"]
    uow.people.rows["lead-1"] = person.model_copy(
        update={"lifecycle_stage": "mql", "stage_changed_at": NOW - timedelta(hours=49)}
    )
    uow.segments.due_at["lead-1"] = NOW - timedelta(seconds=1)
    assert await refresh_due(lambda: uow, ScoringSettings()) == 1
    assert uow.segments.of("mql-not-accepted") == {"lead-1"}
