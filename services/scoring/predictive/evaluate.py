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

from services.scoring.predictive.candidates import BASELINES, MODELS
from services.scoring.predictive.table import Table

OUTER_FOLDS, INNER_FOLDS, SEED = 5, 3, 0


Weights = dict[str, float]
WEIGHT_STEPS = 10  # blend weights in tenths


class Blend:
    """The weighted mean positive-class probability of fitted pipelines."""

    def __init__(self, members: list[tuple[Any, float]]) -> None:
        self.members = members

    def proba(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(sum(w * m.predict_proba(x)[:, 1] for m, w in self.members))


def describe(weights: Weights) -> str:
    return " + ".join(f"{name} {w:.1f}" if w < 1 else name for name, w in weights.items())


def fit(weights: Weights, table: Table, rows: np.ndarray) -> Blend:
    return Blend([(MODELS[name](table).fit(table.x[rows], table.y[rows]), w) for name, w in weights.items()])


def _grid(names: list[str]) -> list[Weights]:
    """Every way to share ten tenths among the models (a model with none is left out)."""
    shares: list[list[int]] = [[]]
    for _ in names:
        shares = [[*s, k] for s in shares for k in range(WEIGHT_STEPS + 1 - sum(s))]
    whole = [s for s in shares if sum(s) == WEIGHT_STEPS]
    return [{n: k / WEIGHT_STEPS for n, k in zip(names, s, strict=True) if k} for s in whole]


def choose(table: Table, rows: np.ndarray) -> tuple[Weights, float]:
    """The blend weights with the best mean AUC over inner folds of `rows`: each model's inner
    out-of-fold predictions are computed once, then every weighting is scored on them. A single
    model is a weighting too, so a blend is kept only where it helps."""
    names = list(MODELS)
    folds = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=SEED + 1)
    predicted: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
    for train, test in folds.split(rows, table.y[rows]):
        fitted = {m: MODELS[m](table).fit(table.x[rows[train]], table.y[rows[train]]) for m in names}
        predicted.append(
            (
                table.y[rows[test]],
                {m: model.predict_proba(table.x[rows[test]])[:, 1] for m, model in fitted.items()},
            )
        )

    def score(weights: Weights) -> float:
        return float(
            np.mean([roc_auc_score(y, sum(w * p[m] for m, w in weights.items())) for y, p in predicted])
        )

    scored = [(score(weights), weights) for weights in _grid(names)]
    best, weights = max(scored, key=lambda item: item[0])
    return weights, best


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
        weights, _ = choose(table, train)
        model = fit(weights, table, train)
        result.chosen.append(describe(weights))
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
