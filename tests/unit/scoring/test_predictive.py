"""The predictive trainer on a synthetic lead export: placeholders, identifiers, leakage-free
nested cross-validation, baselines, and the usability threshold."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from deploy.cli import main
from services.scoring.entrypoints.cli import report
from services.scoring.predictive.evaluate import Evaluation
from services.scoring.predictive.synthetic import write
from services.scoring.predictive.table import MISSING, TableError, binary_target, prepare

AFTER_CONTACT = [
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Asymmetrique Activity Index",
    "Asymmetrique Activity Score",
]


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("leads") / "leads.csv", rows=1500)


def test_evaluate_prints_auc_columns_and_beats_the_plain_baseline(
    export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "scoring",
                "evaluate",
                "--csv",
                str(export),
                "--target",
                "Converted",
                "--exclude",
                *AFTER_CONTACT,
            ]
        )
    assert exited.value.code == 0
    out = capsys.readouterr().out
    used = out.split("columns used")[1].split("columns not used")[0]
    assert "Total Time Spent on Website (numeric)" in used and "Lead Origin (categorical" in used
    for absent in ("Prospect ID", "Lead Number", "Converted", *AFTER_CONTACT):
        assert absent not in used
    assert "Prospect ID (identifier" in out and "Tags (excluded)" in out
    aucs = {name: float(auc) for auc, name in re.findall(r"ROC AUC (\d\.\d+) ± \S+  (.+?)  \(folds", out)}
    assert aucs["this model"] > 0.78
    assert aucs["this model"] > aucs["one-hot logistic regression (baseline)"]
    assert "usable: validated ROC AUC" in out


def test_a_leaking_column_is_learnt_when_not_excluded(
    export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["scoring", "evaluate", "--csv", str(export), "--target", "Converted", "--no-baselines"])
    auc = float(re.findall(r"ROC AUC (\d\.\d+)", capsys.readouterr().out)[0])
    assert auc > 0.95  # Tags is written after the sales contact: it gives the outcome away


def test_placeholders_are_missing_and_identifiers_and_constants_set_aside() -> None:
    header = ["id", "n", "spec", "visits", "same", "won"]
    specs, visits = ["Select", "Finance", "N/A", "finance "], ["", "3", "7.5"]
    rows = [[f"p{i}", str(1000 + i), specs[i % 4], visits[i % 3], "x", str(i % 2)] for i in range(40)]
    table = prepare(header, rows, "won", [])
    assert (table.numeric, table.categorical) == (["visits"], ["spec"])
    assert table.dropped == {
        "id": "identifier (a different value in every row)",
        "n": "identifier (a different value in every row)",
        "same": "constant or empty",
        "won": "target",
    }
    assert set(table.x[:, 1]) == {"finance", MISSING}  # one spelling per category
    assert np.isnan(float(table.x[0, 0])) and table.x[1, 0] == 3.0


@pytest.mark.parametrize(
    ("values", "expected"),
    [(["Yes", "no", "YES"], [1, 0, 1]), (["1", "0", "0"], [1, 0, 0]), (["won", "lost", "lost"], [1, 0, 0])],
)
def test_binary_targets(values: list[str], expected: list[int]) -> None:
    assert binary_target(values, "t").tolist() == expected


def test_unusable_exports_say_why() -> None:
    with pytest.raises(TableError, match="no column 'won'"):
        prepare(["a"], [["1"]] * 30, "won", [])
    with pytest.raises(TableError, match="must have two values"):
        prepare(["a", "t"], [[str(i), str(i % 3)] for i in range(30)], "t", [])


def test_a_model_is_usable_only_above_the_threshold() -> None:
    result = Evaluation(auc=[0.8, 0.82], chosen=["blend", "blend"])
    assert result.usable(0.75) and not result.usable(0.85)
    assert "NOT usable: validated ROC AUC 0.8100, threshold 0.85" in report(result, 0.85)
