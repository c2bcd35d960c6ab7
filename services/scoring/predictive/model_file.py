"""A trained predictive model saved with what it was validated at, and how it scores one person."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from services.scoring.predictive.evaluate import Blend, choose, describe, fit
from services.scoring.predictive.table import MISSING, Table, _missing, _number, category

TOP_FACTORS = 5


@dataclass
class SavedModel:
    target: str
    numeric: list[str]
    categorical: list[str]
    model: Blend
    candidate: str
    auc: float  # the nested cross-validated ROC AUC of the procedure that chose and fit it
    rows: int
    trained_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def usable(self, min_auc: float) -> bool:
        return self.auc >= min_auc

    def _x(self, row: dict[str, str]) -> np.ndarray:
        values: list[object] = [
            n if (n := _number(row.get(c, ""))) is not None else np.nan for c in self.numeric
        ]
        values += [category(row.get(c, "")) for c in self.categorical]
        return np.array([values], dtype=object)

    def likelihood(self, row: dict[str, str]) -> tuple[float, list[tuple[str, float]]]:
        """The 0-100 likelihood, and the columns that moved it most: how many points it loses
        (or gains) when that one column is made unknown."""
        x = self._x(row)
        probability = float(self.model.proba(x)[0])
        effects = []
        for j, column in enumerate([*self.numeric, *self.categorical]):
            if _missing(row.get(column, "")):
                continue
            unknown = x.copy()
            unknown[0, j] = np.nan if j < len(self.numeric) else MISSING
            effects.append((column, round(100 * (probability - float(self.model.proba(unknown)[0])), 1)))
        effects.sort(key=lambda effect: -abs(effect[1]))
        return round(100 * probability, 1), effects[:TOP_FACTORS]

    def save(self, path: Path) -> None:
        path.write_bytes(pickle.dumps(self))


def train(table: Table, target: str, auc: float) -> SavedModel:
    """The blend chosen on every row by inner cross-validation, fit on every row."""
    rows = np.arange(len(table.y))
    weights, _ = choose(table, rows)
    return SavedModel(
        target=target,
        numeric=table.numeric,
        categorical=table.categorical,
        model=fit(weights, table, rows),
        candidate=describe(weights),
        auc=auc,
        rows=len(rows),
    )


def load(path: Path) -> SavedModel:
    """A model file `cascade scoring evaluate --save` wrote (pickle: only load your own files)."""
    loaded = pickle.loads(path.read_bytes())  # written by this tool, at a path the operator names
    if not isinstance(loaded, SavedModel):
        raise ValueError(f"{path} is not a model saved by `cascade scoring evaluate --save`")
    return loaded
