"""`cascade scoring export`: every person as a training row for the predictive model.

The outcome is whether the person ever reached the opportunity stage (or customer); engagement
is counted only before that moment, so nothing that happened because of the deal leaks in.
"""

from __future__ import annotations

import csv
from itertools import groupby
from pathlib import Path

from sqlalchemy import text

from services.scoring.predictive.features import HEADER, feature_row
from services.scoring.settings import ScoringSettings
from shared.db import create_engine

PEOPLE = text(
    "SELECT p.person_id, p.title, p.industry, p.country, p.employees, p.is_free_mail, p.unsubscribed,"
    " p.bounced, p.answers, r.reached_at, e.kind, e.n, e.points"
    " FROM people p"
    " LEFT JOIN LATERAL (SELECT min(at) AS reached_at FROM lifecycle_changes c"
    "   WHERE c.person_id = p.person_id AND c.to_stage IN ('opportunity', 'customer')) r ON true"
    " LEFT JOIN LATERAL (SELECT kind, count(*) AS n, sum(points) AS points FROM engagements g"
    "   WHERE g.person_id = p.person_id AND g.occurred_at < coalesce(r.reached_at, 'infinity')"
    "   GROUP BY kind) e ON true"
    " ORDER BY p.person_id"
)


async def export(settings: ScoringSettings, out: Path) -> int:
    engine = create_engine(settings, "scoring")
    people = 0
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(PEOPLE)).mappings().all()
    finally:
        await engine.dispose()
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        for _, group in groupby(rows, key=lambda row: row["person_id"]):
            kinds = list(group)
            counts = {r["kind"]: int(r["n"]) for r in kinds if r["kind"]}
            points = sum(float(r["points"] or 0) for r in kinds)
            person = dict(kinds[0])
            writer.writerow(
                feature_row(
                    settings.scoring_model,
                    person,
                    counts,
                    points=points,
                    outcome=person["reached_at"] is not None,
                )
            )
            people += 1
    return people
