"""Stage moves: forward (skipping only through gates that hold), backward, and to closed.

Closing is not skipping: a move to a closed stage checks that stage's gate only (closed_won's
gate is the proof a deal is winnable; losing is always allowed).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from services.opportunity.domain.gates import GateFailure, check_gate
from services.opportunity.domain.pipelines import Pipeline

MoveKind = Literal["forward", "skip", "backward", "close"]


@dataclass(frozen=True)
class Move:
    kind: MoveKind
    from_stage: str
    to_stage: str
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refusal:
    reason: str
    detail: str
    failures: tuple[GateFailure, ...] = ()
    # The request names what does not exist (a stage); otherwise the opp's state forbids the move.
    invalid: bool = False


def plan_move(
    pipeline: Pipeline,
    current: str,
    target: str,
    *,
    committee: Sequence[str],
    roles: Collection[str],
    fields: Mapping[str, object],
) -> Move | Refusal:
    if not pipeline.has(target):
        return Refusal(
            "unknown_stage",
            f"the {pipeline.type} pipeline has no stage {target!r}; stages are {', '.join(pipeline.names)}",
            invalid=True,
        )
    if not pipeline.has(current):
        return Refusal(
            "stage_not_in_pipeline",
            f"the opp sits in {current!r}, which the {pipeline.type} pipeline no longer has",
        )
    if pipeline.stage(current).closed:
        return Refusal("closed", f"the opp is {current}; a closed opp does not move")
    if target == current:
        return Refusal("same_stage", f"the opp is already in {current!r}")
    here, there = pipeline.index(current), pipeline.index(target)
    if there < here:
        return Move("backward", current, target)
    stage = pipeline.stage(target)
    entered = (stage,) if stage.closed else pipeline.stages[here + 1 : there + 1]
    failures = tuple(
        failure
        for s in entered
        if (failure := check_gate(s, committee=committee, roles=roles, fields=fields)) is not None
    )
    if failures:
        skipping = "" if len(entered) == 1 else f" (moving through {', '.join(s.name for s in entered)})"
        return Refusal("gate_failed", f"{failures[0].message()}{skipping}", failures)
    if stage.closed:
        return Move("close", current, target)
    skipped = tuple(s.name for s in entered[:-1])
    return Move("skip" if skipped else "forward", current, target, skipped)
