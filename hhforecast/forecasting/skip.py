"""The hybrid network's skip: a linear model of HH, without intercept, in a few exposure terms.

A term is one feature or the product of two (`train.hybrid.skip_terms`, e.g.
`sum_daily_hours*age_fleet`). The default, HH = FH × (a + b · age), is a defect
rate per flight hour that grows with fleet age: it scales with the fleet's
flying, so it keeps its meaning when flying collapses or the fleet grows
beyond anything seen, and its age slope carries the ageing trend forward.
Least squares on the network's own training weeks fits it once, before the
network; the network never changes it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hhforecast.core.errors import ConfigError
from hhforecast.dataprep.weekly_dataset import FEATURES


def term_columns(terms: Sequence[str]) -> list[tuple[int, ...]]:
    """Each term's factors as column indices of the feature matrix (weekly_dataset.FEATURES order)."""
    return [tuple(FEATURES.index(factor) for factor in term.split("*")) for term in terms]


def design(x: np.ndarray, terms: Sequence[str]) -> np.ndarray:
    """One column per term: the product of its factors' columns."""
    x = np.asarray(x, float)
    return np.column_stack([np.prod(x[:, list(columns)], axis=1) for columns in term_columns(terms)])


def fit(x: np.ndarray, y: np.ndarray, terms: Sequence[str]) -> np.ndarray:
    """Least-squares coefficients of the terms (no intercept: no flying, no exposure, no HH)."""
    coefficients, *_ = np.linalg.lstsq(design(x, terms), np.asarray(y, float), rcond=None)
    return np.asarray(coefficients, float)


def predict(x: np.ndarray, terms: Sequence[str], coefficients: np.ndarray) -> np.ndarray:
    return np.asarray(design(x, terms) @ coefficients, float)


def input_columns(names: Sequence[str] | None) -> list[int]:
    """The correction's inputs as column indices (all features for None); an unknown name is a ConfigError."""
    if names is None:
        return list(range(len(FEATURES)))
    unknown = [name for name in names if name not in FEATURES]
    if unknown:
        raise ConfigError(
            f"train.hybrid.correction_inputs: {', '.join(unknown)} is not a feature ({', '.join(FEATURES)})"
        )
    return [FEATURES.index(name) for name in names]
