"""The models the trainer chooses from, and the two plain baselines it must beat.

Every model is a scikit-learn pipeline over the prepared table (numeric columns first, then
categorical text), so preprocessing is learnt inside each training fold: no leakage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    OrdinalEncoder,
    QuantileTransformer,
    SplineTransformer,
    StandardScaler,
)

from services.scoring.predictive.table import Table

Factory = Callable[[Table], Any]
MAX_CATEGORIES = 200  # HistGradientBoosting bins categories; the rarest are pooled beyond this
RARE = 10  # categories seen fewer times than this in a training fold are pooled as "infrequent"


def _columns(table: Table) -> tuple[list[int], list[int]]:
    numeric = list(range(len(table.numeric)))
    return numeric, list(range(len(table.numeric), len(table.columns)))


def _one_hot(table: Table, *, splines: bool, min_frequency: int | None) -> ColumnTransformer:
    numeric, categorical = _columns(table)
    steps: list[Any] = [SimpleImputer(strategy="median", add_indicator=True)]
    if splines:
        # Quantiles first: activity counts have long tails (one lead with 250 visits) and many ties
        # at zero; knots spread over ranks bend where the leads are, not where the outliers are.
        quantiles = min(
            200, max(10, len(table.y) * 2 // 5)
        )  # an inner training fold holds about half the rows
        steps += [QuantileTransformer(n_quantiles=quantiles), SplineTransformer(n_knots=6, degree=3)]
    steps.append(StandardScaler())
    encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=min_frequency)
    if min_frequency is None:
        encoder = OneHotEncoder(handle_unknown="ignore")
    return ColumnTransformer(
        [("numeric", make_pipeline(*steps), numeric), ("categorical", encoder, categorical)]
    )


def _ordinal(table: Table) -> ColumnTransformer:
    numeric, categorical = _columns(table)
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=-1,  # HistGradientBoosting reads a negative category as missing
        min_frequency=RARE,
        max_categories=MAX_CATEGORIES,
        dtype=np.float64,
    )
    return ColumnTransformer([("categorical", encoder, categorical), ("numeric", "passthrough", numeric)])


def boosted_trees(table: Table) -> Pipeline:
    """Gradient boosting on native categories, tuned for lead exports (thousands of rows, a few
    strong activity columns, many sparse categorical answers): shallow trees, slow learning."""
    categorical = list(range(len(table.categorical)))
    model = HistGradientBoostingClassifier(
        learning_rate=0.03,
        max_iter=500,
        max_depth=3,
        min_samples_leaf=30,
        l2_regularization=1.0,
        categorical_features=categorical or None,
        early_stopping=False,
        random_state=0,
    )
    return Pipeline([("encode", _ordinal(table)), ("model", model)])


def wide_trees(table: Table) -> Pipeline:
    """A second booster that finds deeper interactions, held back by larger leaves and L2."""
    categorical = list(range(len(table.categorical)))
    model = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=250,
        max_leaf_nodes=24,
        min_samples_leaf=60,
        l2_regularization=5.0,
        categorical_features=categorical or None,
        early_stopping=False,
        random_state=1,
    )
    return Pipeline([("encode", _ordinal(table)), ("model", model)])


def spline_logistic(table: Table) -> Pipeline:
    """Logistic regression with spline-expanded numeric columns and pooled rare categories."""
    model = LogisticRegression(C=0.3, max_iter=3000)
    return Pipeline([("encode", _one_hot(table, splines=True, min_frequency=RARE)), ("model", model)])


def plain_logistic(table: Table) -> Pipeline:
    """Baseline: one-hot logistic regression, nothing tuned."""
    return Pipeline(
        [
            ("encode", _one_hot(table, splines=False, min_frequency=None)),
            ("model", LogisticRegression(max_iter=3000)),
        ]
    )


def plain_boosting(table: Table) -> Pipeline:
    """Baseline: scikit-learn's gradient boosting with its defaults on one-hot columns."""
    return Pipeline(
        [
            ("encode", _one_hot(table, splines=False, min_frequency=None)),
            ("model", GradientBoostingClassifier(random_state=0)),
        ]
    )


# The models the trainer blends; the weights are chosen by inner cross-validation (see `evaluate`).
MODELS: dict[str, Factory] = {
    "boosted_trees": boosted_trees,
    "wide_trees": wide_trees,
    "spline_logistic": spline_logistic,
}
BASELINES: dict[str, Factory] = {
    "one-hot logistic regression (baseline)": plain_logistic,
    "gradient boosting, untuned (baseline)": plain_boosting,
}
