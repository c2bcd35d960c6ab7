"""`cascade scoring export`: every person as a training row for the predictive model.

The outcome is whether the person ever reached the opportunity stage (or customer); engagement
is counted only before that moment, so nothing that happened because of the deal leaks in.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from services.scoring.app.uow import ScoringUnitOfWork
from services.scoring.predictive.features import HEADER, feature_row
from services.scoring.settings import ScoringSettings


async def export(uows: Callable[[], ScoringUnitOfWork], settings: ScoringSettings, out: Path) -> int:
    """Write the rows to `out`; returns how many people."""
    async with uows() as uow:
        rows = await uow.people.training_rows()
    people = 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        for _, group in groupby(rows, key=lambda row: row["person_id"]):
            kinds = list(group)
            counts = {r["kind"]: int(r["n"]) for r in kinds if r["kind"]}
            points = sum(float(r["points"] or 0) for r in kinds)
            person = kinds[0]
            outcome = person["reached_at"] is not None
            writer.writerow(
                feature_row(settings.scoring_model, person, counts, points=points, outcome=outcome)
            )
            people += 1
    return people
