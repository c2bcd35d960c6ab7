"""Build the pipelines from configuration, refusing anything wrong with a message that says what.

A configured type replaces that type's default pipeline; stages are JSON objects:
`{"name": "active", "team": "marketing", "roles_covered": 1, "roles_required": [],
"fields_required": [], "sla_hours": 720, "last_marketing": false, "sdr": false}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from services.opportunity.domain.pipelines import (
    CLOSED,
    DEFAULT_PIPELINES,
    EXPANSION_TYPES,
    GATE_FIELDS,
    OPP_TYPES,
    STAMPED_STAGES,
    TEAMS,
    Gate,
    Pipeline,
    Pipelines,
    Stage,
)

STAGE_KEYS = {
    "name",
    "team",
    "roles_covered",
    "roles_required",
    "fields_required",
    "sla_hours",
    "last_marketing",
    "sdr",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class ConfigError(ValueError):
    pass


def build_pipelines(
    configured: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    *,
    roles: Sequence[str],
    committee: Sequence[str],
    disabled: Sequence[str] = (),
) -> Pipelines:
    _check_roles(roles, committee)
    for opp_type in configured or {}:
        if opp_type not in OPP_TYPES:
            raise ConfigError(f"unknown opportunity type {opp_type!r}; types are {', '.join(OPP_TYPES)}")
    for opp_type in disabled:
        if opp_type not in EXPANSION_TYPES:
            raise ConfigError(f"only {' and '.join(EXPANSION_TYPES)} can be switched off, not {opp_type!r}")
    by_type: dict[str, Pipeline] = {}
    for opp_type in OPP_TYPES:
        if opp_type in disabled:
            continue
        if configured and opp_type in configured:
            stages = tuple(_stage(opp_type, raw) for raw in configured[opp_type])
            pipeline = Pipeline(opp_type, stages)
        else:
            pipeline = DEFAULT_PIPELINES[opp_type]
        check_pipeline(pipeline, roles=roles, committee=committee)
        by_type[opp_type] = pipeline
    return Pipelines(by_type, tuple(roles), tuple(committee))


def _check_roles(roles: Sequence[str], committee: Sequence[str]) -> None:
    if not committee:
        raise ConfigError("the buying committee needs at least one role")
    for role in (*roles, *committee):
        if not _NAME.match(role):
            raise ConfigError(f"role {role!r} must be lower_snake_case")
    for role in committee:
        if role not in roles:
            raise ConfigError(f"committee role {role!r} is not in the roles list ({', '.join(roles)})")
    for name, values in (("roles", roles), ("committee roles", committee)):
        if len(set(values)) != len(values):
            raise ConfigError(f"{name} list a role twice")


def _stage(opp_type: str, raw: Mapping[str, Any]) -> Stage:
    where = f"pipeline {opp_type!r} stage {raw.get('name')!r}"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        raise ConfigError(f"pipeline {opp_type!r}: every stage needs a name")
    unknown = sorted(set(raw) - STAGE_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown keys {', '.join(unknown)}; keys are {', '.join(sorted(STAGE_KEYS))}"
        )
    if "team" not in raw:
        raise ConfigError(f"{where}: needs a team ({', '.join(TEAMS)})")
    sla = raw.get("sla_hours")
    if sla is not None and (isinstance(sla, bool) or not isinstance(sla, int | float)):
        raise ConfigError(f"{where}: sla_hours must be a number of hours or null")
    covered = raw.get("roles_covered", 0)
    if isinstance(covered, bool) or not isinstance(covered, int):
        raise ConfigError(f"{where}: roles_covered must be a whole number")
    return Stage(
        name=raw["name"],
        team=raw["team"],
        gate=Gate(covered, tuple(raw.get("roles_required", ())), tuple(raw.get("fields_required", ()))),
        sla_hours=None if sla is None else float(sla),
        last_marketing=bool(raw.get("last_marketing", False)),
        sdr=bool(raw.get("sdr", False)),
    )


def check_pipeline(pipeline: Pipeline, *, roles: Sequence[str], committee: Sequence[str]) -> None:
    """Raise ConfigError naming the first thing wrong with `pipeline`."""
    name = f"pipeline {pipeline.type!r}"
    names = pipeline.names
    if names[-2:] != CLOSED or len(names) < 3:
        raise ConfigError(f"{name} must have open stages and end with {', '.join(CLOSED)}")
    for stage in pipeline.stages:
        _check_stage(name, stage, roles=roles, committee=committee)
        if names.count(stage.name) > 1:
            raise ConfigError(f"{name} names stage {stage.name!r} twice")
    if pipeline.stages[-1].gate != Gate():
        raise ConfigError(f"{name}: {CLOSED[1]} cannot have a gate (losing a deal is always allowed)")
    marketing = [s for s in pipeline.stages if s.last_marketing]
    sdr = [s for s in pipeline.stages if s.sdr]
    if len(marketing) > 1 or len(sdr) > 1:
        raise ConfigError(f"{name} may have one last marketing stage and one SDR stage")
    if bool(marketing) != bool(sdr):
        raise ConfigError(
            f"{name}: a last marketing stage and an SDR stage go together (the score automation)"
        )
    if marketing and pipeline.index(sdr[0].name) <= pipeline.index(marketing[0].name):
        raise ConfigError(
            f"{name}: the SDR stage {sdr[0].name!r} must come after the last marketing stage "
            f"{marketing[0].name!r}"
        )


def _check_stage(name: str, stage: Stage, *, roles: Sequence[str], committee: Sequence[str]) -> None:
    where = f"{name} stage {stage.name!r}"
    if not _NAME.match(stage.name):
        raise ConfigError(f"{where}: stage names are lower_snake_case")
    if stage.name not in STAMPED_STAGES:
        raise ConfigError(
            f"{where} has no stamp column; stages with stamp columns are {', '.join(STAMPED_STAGES)}"
        )
    if stage.team not in TEAMS:
        raise ConfigError(f"{where}: unknown team {stage.team!r}; teams are {', '.join(TEAMS)}")
    gate = stage.gate
    if not 0 <= gate.roles_covered <= len(committee):
        raise ConfigError(
            f"{where}: the gate needs {gate.roles_covered} committee roles but the committee has "
            f"{len(committee)} ({', '.join(committee)})"
        )
    for role in gate.roles_required:
        if role not in roles:
            raise ConfigError(
                f"{where}: the gate requires unknown role {role!r}; roles are {', '.join(roles)}"
            )
    for field_name in gate.fields_required:
        if field_name not in GATE_FIELDS:
            raise ConfigError(
                f"{where}: the gate requires unknown field {field_name!r}; "
                f"fields are {', '.join(GATE_FIELDS)}"
            )
    if stage.sla_hours is not None and stage.sla_hours <= 0:
        raise ConfigError(f"{where}: sla_hours must be positive (or null for no SLA)")
    if stage.closed and (stage.sla_hours is not None or stage.last_marketing or stage.sdr):
        raise ConfigError(f"{where}: a closed stage has no SLA and is neither marketing's last nor SDR's")
