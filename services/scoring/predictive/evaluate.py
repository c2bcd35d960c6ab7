"""Nested cross-validation: the model is chosen inside each outer training fold, so the AUC
reported is what a model chosen this way scores on leads it has never seen."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from services.scoring.predictive.candidates import BASELINES, CANDIDATES, MODELS
from services.scoring.predictive.table import Table

OUTER_FOLDS, INNER_FOLDS, SEED = 5, 3, 0


class Blend:
    """The mean positive-class probability of fitted pipelines."""

    def __init__(self, members: list[Any]) -> None:
        self.members = members

    def proba(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(np.mean([m.predict_proba(x)[:, 1] for m in self.members], axis=0))


def fit(candidate: str, table: Table, rows: np.ndarray) -> Blend:
    return Blend([MODELS[name](table).fit(table.x[rows], table.y[rows]) for name in CANDIDATES[candidate]])


def choose(table: Table, rows: np.ndarray) -> tuple[str, dict[str, float]]:
    """The candidate with the best mean AUC over inner folds of `rows` (and every candidate's)."""
    scores: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    folds = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=SEED + 1)
    for train, test in folds.split(rows, table.y[rows]):
        fitted = {m: MODELS[m](table).fit(table.x[rows[train]], table.y[rows[train]]) for m in MODELS}
        predicted = {m: model.predict_proba(table.x[rows[test]])[:, 1] for m, model in fitted.items()}
        for name, members in CANDIDATES.items():
            blend = np.mean([predicted[m] for m in members], axis=0)
            scores[name].append(float(roc_auc_score(table.y[rows[test]], blend)))
    means = {name: float(np.mean(s)) for name, s in scores.items()}
    return max(means, key=lambda name: means[name]), means


@dataclass
class Evaluation:
    auc: list[float] = field(default_factory=list)
    chosen: list[str] = field(default_factory=list)
    baselines: dict[str, list[float]] = field(default_factory=dict)
    importance: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def mean_auc(self) -> float:
        return float(np.mean(self.auc))

    def usable(self, min_auc: float) -> bool:
        return self.mean_auc >= min_auc


def evaluate(table: Table, *, baselines: bool = True) -> Evaluation:
    # One thread: boosting's OpenMP threads spin against each other on a busy machine (10x slower).
    with threadpool_limits(limits=1):
        return _evaluate(table, baselines=baselines)


def _evaluate(table: Table, *, baselines: bool) -> Evaluation:
    started = time.perf_counter()
    result = Evaluation(baselines={name: [] for name in BASELINES} if baselines else {})
    rows = np.arange(len(table.y))
    folds = StratifiedKFold(OUTER_FOLDS, shuffle=True, random_state=SEED)
    for train, test in folds.split(rows, table.y):
        candidate, _ = choose(table, train)
        model = fit(candidate, table, train)
        result.chosen.append(candidate)
        result.auc.append(float(roc_auc_score(table.y[test], model.proba(table.x[test]))))
        for name in result.baselines:
            baseline = BASELINES[name](table).fit(table.x[train], table.y[train])
            result.baselines[name].append(
                float(roc_auc_score(table.y[test], baseline.predict_proba(table.x[test])[:, 1]))
            )
        last = (model, test)
    result.importance = permutation_importance(table, *last)
    result.seconds = time.perf_counter() - started
    return result


def permutation_importance(
    table: Table, model: Blend, rows: np.ndarray, repeats: int = 3
) -> dict[str, float]:
    """How much held-out AUC each column is worth: the drop when its values are shuffled."""
    random = np.random.default_rng(SEED)
    x, y = table.x[rows], table.y[rows]
    base = roc_auc_score(y, model.proba(x))
    drops = {}
    for j, name in enumerate(table.columns):
        losses = []
        for _ in range(repeats):
            shuffled = x.copy()
            shuffled[:, j] = random.permutation(shuffled[:, j])
            losses.append(base - roc_auc_score(y, model.proba(shuffled)))
        drops[name] = float(np.mean(losses))
    return dict(sorted(drops.items(), key=lambda item: -item[1]))
