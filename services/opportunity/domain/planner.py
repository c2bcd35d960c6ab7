"""The reverse funnel: from a revenue target back to the SQLs, MQLs and prospects it takes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from services.opportunity.domain.pipelines import Pipeline


@dataclass(frozen=True)
class Rates:
    suspect_to_prospect: float
    prospect_to_mql: float
    mql_to_sql: float
    sql_to_win: float


@dataclass(frozen=True)
class Needed:
    opps: int  # deals to win
    sqls: int
    mqls: int
    prospects: int
    suspects: int


def _up(value: float) -> int:
    return math.ceil(round(value, 9))  # half a deal is no deal; no float noise either


def reverse_funnel(
    *, revenue_target: float, marketing_share: float, average_price: float, rates: Rates
) -> Needed:
    opps = _up(revenue_target * marketing_share / average_price)
    sqls = _up(opps / rates.sql_to_win)
    mqls = _up(sqls / rates.mql_to_sql)
    prospects = _up(mqls / rates.prospect_to_mql)
    return Needed(opps, sqls, mqls, prospects, _up(prospects / rates.suspect_to_prospect))


def funnel_levels(pipeline: Pipeline) -> dict[str, tuple[str, ...]]:
    """Which open stages hold suspects, prospects, MQLs and SQLs (the last marketing and SDR marks)."""
    names = [s.name for s in pipeline.open_stages]
    marketing, sdr = pipeline.last_marketing, pipeline.sdr
    if marketing is None or sdr is None:
        return {"suspects": (), "prospects": (), "mqls": (), "sqls": tuple(names)}
    m = names.index(marketing.name)
    return {
        "suspects": tuple(names[:1]) if m > 0 else (),
        "prospects": tuple(names[1:m]),
        "mqls": tuple(names[m : names.index(sdr.name)]),
        "sqls": tuple(names[names.index(sdr.name) :]),
    }
