"""The predictive loop on a real database: export the service's people with their outcome, cross-
validate and save a model, and the service shows its likelihood only when the model is usable."""

from __future__ import annotations

import csv
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from deploy.cli import main
from services.scoring.app.export import export
from services.scoring.bootstrap import DEFINITION
from services.scoring.settings import ScoringSettings
from shared.app import create_app
from shared.runtime import units_of_work
from tests.conftest import API_KEY
from tests.support.db import fetch

NOW = datetime.now(UTC)
TITLES = ["CEO", "VP Sales", "Director of IT", "Engineer", "Student", "Marketing Manager"]


async def seed(url: str, people: int) -> None:
    """People whose meetings and seniority make them likelier to reach an opportunity; one
    engagement after the deal for each that did (it must not count)."""
    rng = random.Random(3)
    for i in range(people):
        title, meetings, opens = rng.choice(TITLES), rng.choice([0, 0, 1, 2, 3]), rng.randint(0, 6)
        chance = 0.05 + 0.25 * meetings + 0.2 * (title in ("CEO", "VP Sales"))
        reached = rng.random() < chance
        person = f"pred-{i}"
        await fetch(
            url,
            "INSERT INTO scoring.people (person_id, title, industry, country, employees, model_version)"
            " VALUES ($1, $2, $3, 'US', $4, 'test')",
            person,
            title,
            rng.choice(["Software", "Retail", None]),
            rng.choice([20, 300, 5000, None]),
        )
        kinds = ["meeting"] * meetings + ["email_open"] * opens
        for n, kind in enumerate(kinds):
            await fetch(
                url,
                "INSERT INTO scoring.engagements VALUES ($1, $2, $3, 1.0, $4)",
                f"{person}-{n}",
                person,
                kind,
                NOW - timedelta(days=30 - n),
            )
        if reached:
            await fetch(
                url,
                "INSERT INTO scoring.lifecycle_changes (person_id, from_stage, to_stage, at, actor, reason)"
                " VALUES ($1, 'mql', 'opportunity', $2, 'test', 'test')",
                person,
                NOW - timedelta(days=10),
            )
            await fetch(
                url,
                "INSERT INTO scoring.engagements VALUES ($1, $2, 'meeting', 25, $3)",
                f"{person}-late",
                person,
                NOW,
            )


@asynccontextmanager
async def scoring_api(url: str, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        DEFINITION, ScoringSettings(database_url=url, api_keys=[API_KEY], **settings), with_kafka=False
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {API_KEY}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://scoring", headers=headers
        ) as client:
            yield client


async def test_export_evaluate_save_and_the_service_shows_the_likelihood(
    fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(fresh_database_url, 300)
    exported = tmp_path / "people.csv"
    settings = ScoringSettings(database_url=fresh_database_url)
    async with units_of_work(DEFINITION, settings) as uows:
        assert await export(uows, settings, exported) == 300
    rows = {r["person_id"]: r for r in csv.DictReader(exported.open())}
    reached = [r for r in rows.values() if r["became_opportunity"] == "1"]
    assert 30 < len(reached) < 270
    late = await fetch(
        fresh_database_url, "SELECT count(*) FROM scoring.engagements WHERE occurred_at = $1", NOW
    )
    counted = sum(int(r["count_meeting"]) for r in rows.values())
    stored = await fetch(
        fresh_database_url, "SELECT count(*) FROM scoring.engagements WHERE kind = 'meeting'"
    )
    assert counted == stored[0][0] - late[0][0]  # nothing after the deal leaks into the training rows
    assert {rows["pred-0"]["seniority"], rows["pred-1"]["seniority"]} <= {"", *[f"seniority_{s}" for s in (
        "c_level", "vp", "director", "manager")]}  # fmt: skip

    model = tmp_path / "model.pkl"
    with pytest.raises(SystemExit) as exited:
        args = [
            "--csv",
            str(exported),
            "--target",
            "became_opportunity",
            "--no-baselines",
            "--save",
            str(model),
        ]
        main(["scoring", "evaluate", *args])
    out = capsys.readouterr().out
    assert exited.value.code == 0, out
    assert "person_id (identifier" in out and f"to {model}" in out

    async with scoring_api(fresh_database_url, scoring_predictive_model_file=model) as client:
        busy = (await client.get("/v1/scores/pred-0")).json()
        scores = [(await client.get(f"/v1/scores/pred-{i}")).json() for i in range(40)]
    predicted = [s["predicted"] for s in scores]
    assert all(0 <= p["likelihood"] <= 100 and p["model_auc"] >= 0.75 for p in predicted)
    assert busy["predicted"]["top_factors"] and all("column" in f for f in busy["predicted"]["top_factors"])
    by_meetings: dict[bool, list[float]] = {True: [], False: []}
    for score, row in zip(scores, [rows[f"pred-{i}"] for i in range(40)], strict=True):
        by_meetings[int(row["count_meeting"]) >= 2].append(score["predicted"]["likelihood"])
    assert min(by_meetings[True]) > 0 and sum(by_meetings[True]) / len(by_meetings[True]) > sum(
        by_meetings[False]
    ) / len(by_meetings[False])

    async with scoring_api(
        fresh_database_url, scoring_predictive_model_file=model, scoring_predictive_min_auc=0.999
    ) as client:
        assert (await client.get("/v1/scores/pred-0")).json()["predicted"] is None


def test_a_model_file_that_is_not_one_stops_the_service_at_start(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pkl"
    junk.write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="cannot be loaded"):
        ScoringSettings(scoring_predictive_model_file=junk)
