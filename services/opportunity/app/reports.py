"""Reports from the stage stamps: funnel, velocity, aging, buying-group coverage, reverse funnel.

The counting is SQL (the `reports` port); what the numbers mean is here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.opportunity.app.models import Cohort
from services.opportunity.app.uow import OpportunityUnitOfWork
from services.opportunity.domain.gates import check_gate
from services.opportunity.domain.pipelines import WON, Pipeline, Pipelines
from services.opportunity.domain.planner import Rates, funnel_levels, reverse_funnel
from services.opportunity.settings import OpportunitySettings
from shared.errors import Invalid

EXPORT_COLUMNS = (
    "opp_id",
    "account_id",
    "type",
    "stage",
    "amount",
    "close_date",
    "term_months",
    "owner",
    "next_step",
    "next_step_owner",
    "next_step_due",
    "created_by",
    "source_opp_id",
    "buying_group_key",
    "created_at",
    "stage_entered_at",
    "closed_at",
)


def export_columns(pipelines: Pipelines) -> list[str]:
    """What an export row holds: the opp, when it first entered each stage of any pipeline, and
    the days it spent in each (re-entries add up)."""
    stages: list[str] = []
    for pipeline in pipelines.by_type.values():
        stages += [s for s in pipeline.names if s not in stages]
    return [*EXPORT_COLUMNS, *(f"entered_{s}" for s in stages), *(f"days_in_{s}" for s in stages)]


def cohort(
    settings: OpportunitySettings, opp_type: str, start: date | None, end: date | None
) -> tuple[Pipeline, Cohort]:
    if not settings.pipelines.enabled(opp_type):
        raise Invalid(f"{opp_type} opportunities are switched off.", field="type", errors=[])
    if start and end and end <= start:
        raise Invalid("'to' must be after 'from'.", field="to", errors=[])
    return settings.pipelines[opp_type], Cohort(opp_type, start, end)


async def funnel(uow: OpportunityUnitOfWork, pipeline: Pipeline, cohort: Cohort) -> dict[str, Any]:
    """Opps that reached each stage (skipped stages count as passed) and stage-to-stage conversion."""
    return _funnel(pipeline, cohort, await uow.reports.funnel_counts(pipeline, cohort))


def _funnel(pipeline: Pipeline, cohort: Cohort, counts: dict[str, Any]) -> dict[str, Any]:
    progress = [s for s in pipeline.stages if not s.closed] + [pipeline.stage(WON)]
    stages = []
    for i, stage in enumerate(progress):
        reached = counts[f"reached_{stage.name}"]
        following = progress[i + 1].name if i + 1 < len(progress) else None
        stages.append(
            {
                "stage": stage.name,
                "team": stage.team,
                "reached": reached,
                "current": counts[f"current_{stage.name}"],
                "next_stage": following,
                "conversion_to_next": _rate(counts[f"reached_{following}"], reached) if following else None,
            }
        )
    total, won = counts["total"], counts[f"reached_{WON}"]
    return {
        "type": cohort.type,
        "from": cohort.start,
        "to": cohort.end,
        "total": total,
        "won": won,
        "lost": counts["lost"],
        "win_rate": _rate(won, total),
        "stages": stages,
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def coverage(
    uow: OpportunityUnitOfWork, pipelines: Pipelines, pipeline: Pipeline, cohort: Cohort, limit: int
) -> dict[str, Any]:
    """Per open opp: committee roles present vs what its next stage's gate requires, and who is missing."""
    opps = [
        _coverage(pipelines, pipeline, row) for row in await uow.reports.roles_of_open_opps(cohort, limit)
    ]
    return {"type": cohort.type, "committee": list(pipelines.committee), "opps": opps}


def _coverage(pipelines: Pipelines, pipeline: Pipeline, row: dict[str, Any]) -> dict[str, Any]:
    stage = pipeline.index(row["stage"]) if pipeline.has(row["stage"]) else None
    following = pipeline.stages[stage + 1] if stage is not None else None
    present = [r for r in pipelines.committee if r in row["roles"]]
    gap = None
    if following is not None and not following.closed:
        gap = check_gate(following, committee=pipelines.committee, roles=row["roles"], fields={})
    return {
        "opp_id": row["opp_id"],
        "account_id": row["account_id"],
        "stage": row["stage"],
        "owner": row["owner"],
        "roles_present": present,
        "potential_members": row["potential"],
        "coverage": f"{len(present)} of {len(pipelines.committee)}",
        "next_stage": following.name if following and not following.closed else None,
        "next_stage_needs": following.gate.roles_covered if following else None,
        "missing_roles": list(gap.missing_roles) if gap else [],
        "roles_short": gap.more_roles if gap else 0,
        "uncovered_roles": [r for r in pipelines.committee if r not in row["roles"]],
        "ready": gap is None or (not gap.missing_roles and gap.more_roles == 0),
    }


async def plan(
    uow: OpportunityUnitOfWork,
    settings: OpportunitySettings,
    *,
    revenue_target: float,
    average_price: float,
    marketing_share: float,
    given: dict[str, float | None],
) -> dict[str, Any]:
    """Opps, SQLs, MQLs, prospects and suspects a revenue target needs, against what the funnel holds.
    A rate left out is the acquisition funnel's observed one."""
    pipeline, everything = cohort(settings, "acquisition", None, None)
    counts = await uow.reports.funnel_counts(pipeline, everything)
    levels = funnel_levels(pipeline)
    observed = _observed_rates(levels, counts)
    rates: dict[str, float] = {}
    for name, value in given.items():
        chosen = value if value is not None else observed[name]
        if not chosen:
            raise Invalid(f"Give {name}: the funnel has no observed rate for it yet.", field=name, errors=[])
        rates[name] = chosen
    needed = reverse_funnel(
        revenue_target=revenue_target,
        marketing_share=marketing_share,
        average_price=average_price,
        rates=Rates(**rates),
    )
    holds = {level: sum(counts[f"current_{s}"] for s in stages) for level, stages in levels.items()}
    need = {
        "opps": needed.opps,
        "sqls": needed.sqls,
        "mqls": needed.mqls,
        "prospects": needed.prospects,
        "suspects": needed.suspects,
    }
    # Opps to win: the open ones past the SDR stage, in sales' hands.
    holds["opps"] = sum(counts[f"current_{s}"] for s in levels["sqls"][1:])
    return {
        "rates": rates,
        "rate_source": {n: "given" if v is not None else "observed" for n, v in given.items()},
        "needed": need,
        "holds": holds,
        "gap": {k: max(0, v - holds.get(k, 0)) for k, v in need.items()},
        "levels": levels,
    }


def _observed_rates(levels: dict[str, tuple[str, ...]], counts: dict[str, Any]) -> dict[str, float | None]:
    def reached(level: str) -> int:
        stages = levels[level]
        return int(counts[f"reached_{stages[0]}"]) if stages else 0

    return {
        "suspect_to_prospect": _rate(reached("prospects"), reached("suspects")),
        "prospect_to_mql": _rate(reached("mqls"), reached("prospects")),
        "mql_to_sql": _rate(reached("sqls"), reached("mqls")),
        "sql_to_win": _rate(counts[f"reached_{WON}"], reached("sqls")),
    }
