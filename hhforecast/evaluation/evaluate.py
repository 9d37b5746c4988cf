"""Scores that survive their noise: point metrics, proper interval scores, expected errors, paired tests.

On synthetic data the headline is each model's *expected* MAE on the test
window under the exact weekly distribution, divided by the median oracle's:
free of the test year's luck. On any data, the long backtest's paired per-week
differences (network − baseline) with Newey–West intervals say which gaps are
real and which are ties.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hhforecast.dataprep.weekly_dataset import TARGET
from hhforecast.evaluation import compare
from hhforecast.forecasting import forecasters, intervals
from hhforecast.forecasting.metrics import point_metrics
from hhforecast.synth import truthdist


def skill(mae: float, reference_mae: float) -> float:
    """1 − mae / reference: positive when better than the reference, 0 when equal."""
    return float(1 - mae / reference_mae)


@dataclass(frozen=True)
class Truth:
    """The synthetic world's answer for some weeks: expected HH, quantiles, and each week's exact distribution."""

    weeks: pd.DataFrame  # date, HH_expected, HH_median, HH_q025 ... HH_q975
    pmf: np.ndarray  # one row per week over truthdist's grid


def read_truth(truth_dir: str | Path | None, dates: pd.Series) -> Truth | None:
    """The truth for `dates` (synthetic data), or None when there is no truth (real data)."""
    if not truth_dir:
        return None
    folder = Path(truth_dir)
    if not (folder / truthdist.TRUTH_FILE).exists():
        return None
    table = pd.read_csv(folder / truthdist.TRUTH_FILE, parse_dates=["date"]).set_index("date")
    weeks = table.reindex(pd.to_datetime(dates))
    if weeks["HH_expected"].isna().any():
        missing = weeks.index[weeks["HH_expected"].isna()][0].strftime("%Y-%m-%d")
        raise ValueError(f"{folder / truthdist.TRUTH_FILE} has no week {missing}; regenerate the synthetic world")
    defect_pmf = truthdist.law_from_table(pd.read_csv(folder / truthdist.DEFECT_LAW_FILE))
    return Truth(weeks.reset_index(), truthdist.weekly_hh_pmf(weeks["HH_expected"], defect_pmf))


def interval_metrics(y: np.ndarray, bounds: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, object]:
    """Coverage (with binomial interval), width, interval score and pinball loss for each level key."""
    out: dict[str, object] = {}
    for key, (lower, upper) in bounds.items():
        out.update(intervals.interval_scores(y, lower, upper, int(key) / 100))
    return out


def expected_interval_metrics(pmf: np.ndarray, bounds: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """The same scores in expectation over each week's exact distribution."""
    out = {}
    for key, (lower, upper) in bounds.items():
        out[f"coverage_{key}"] = float(np.mean(truthdist.expected_coverage(pmf, lower, upper)))
        out[f"width_{key}"] = float(np.mean(upper - lower))
        out[f"interval_score_{key}"] = float(
            np.mean(truthdist.expected_interval_score(pmf, lower, upper, int(key) / 100))
        )
    return out


def oracle_bounds(truth: Truth) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The oracle's own ranges: each week's exact 10–90 % and 2.5–97.5 % quantiles."""
    return {
        key: (truth.weeks[low].to_numpy(float), truth.weeks[high].to_numpy(float))
        for key, (low, high) in truthdist.INTERVAL_QUANTILES.items()
    }


def score_test_window(
    y: np.ndarray,
    predictions: dict[str, np.ndarray],
    network_bounds: dict[str, tuple[np.ndarray, np.ndarray]],
    truth: Truth | None,
) -> dict[str, object]:
    """eval.json's test-window sections: the network, every baseline, and (synthetic data) the oracle."""
    network = predictions[forecasters.NETWORK]
    test: dict[str, Any] = dict(point_metrics(y, network))
    test.update(interval_metrics(y, network_bounds))
    test["n_weeks"] = int(len(y))
    baseline_scores = {}
    for name, values in predictions.items():
        if name != forecasters.NETWORK:
            metrics = point_metrics(y, values)
            baseline_scores[name] = {k: metrics[k] for k in ("mae", "rmse", "mape")}
    best = min(m["mae"] for m in baseline_scores.values())
    results: dict[str, object] = {
        "test": test,
        "baselines": baseline_scores,
        "skill_vs_best_baseline": skill(test["mae"], best),
    }
    if truth is None:
        return results
    mean_oracle = truth.weeks["HH_expected"].to_numpy(float)
    median_oracle = truth.weeks["HH_median"].to_numpy(float)
    oracle_point = point_metrics(y, mean_oracle)
    median_expected = float(np.mean(truthdist.expected_abs_error(truth.pmf, median_oracle)))
    own = oracle_bounds(truth)
    results["oracle"] = {
        "mae": oracle_point["mae"],
        "rmse": oracle_point["rmse"],
        "r2": oracle_point["r2"],
        "median_mae": point_metrics(y, median_oracle)["mae"],
        "expected_mae": median_expected,
        **interval_metrics(y, own),
    }
    results["mae_ratio_to_oracle"] = test["mae"] / oracle_point["mae"]
    results["expected_mae_ratio"] = {
        name: float(np.mean(truthdist.expected_abs_error(truth.pmf, values))) / median_expected
        for name, values in predictions.items()
    }
    results["expected_intervals"] = {
        forecasters.NETWORK: expected_interval_metrics(truth.pmf, network_bounds),
        "oracle": expected_interval_metrics(truth.pmf, own),
    }
    return results


def score_backtest(weeks: pd.DataFrame, folds: pd.DataFrame) -> dict[str, object]:
    """eval.json's backtest section: sizes, each model's MAE, and the network vs every baseline, paired.

    One fitting origin serves a fold's weeks, so the HAC lag covers a fold and the HLN correction
    uses it as the horizon; the p-values are Holm-corrected across the baselines (`p_holm`, `verdict`)."""
    y = weeks["actual"].to_numpy(float)
    names = [name for name in (forecasters.NETWORK, *forecasters.BASELINES) if name in weeks]
    network = weeks[forecasters.NETWORK].to_numpy(float)
    summary: dict[str, object] = {
        "folds": int(len(folds)),
        "weeks": int(len(weeks)),
        "first_week": str(weeks["date"].iloc[0]),
        "last_week": str(weeks["date"].iloc[-1]),
        "mae_mean": float(folds["mae"].mean()),
        "mae_std": float(folds["mae"].std(ddof=0)),
        "coverage_80_mean": float(folds["coverage_80"].mean()) if "coverage_80" in folds else float("nan"),
        "mae": {name: float(np.mean(np.abs(y - weeks[name]))) for name in names},
    }
    if "lower_80" in weeks:
        summary["intervals"] = interval_metrics(
            y,
            {
                key: (lower.to_numpy(float), upper.to_numpy(float))
                for key, (lower, upper) in intervals.ranges(weeks).items()
            },
        )
    fold_weeks = compare.fold_horizon(weeks["fold"].to_numpy())
    paired: dict[str, dict[str, Any]] = {
        name: compare.paired_backtest(y, network, weeks[name].to_numpy(float), weeks["fold"].to_numpy()).as_dict()
        for name in names
        if name != forecasters.NETWORK
    }
    for comparison, corrected in zip(paired.values(), compare.holm([c["p_value"] for c in paired.values()])):
        comparison["p_holm"] = corrected
        comparison["verdict"] = compare.verdict_after_holm(comparison["ci_low"], comparison["ci_high"], corrected)
    summary["dm"] = paired
    summary["dm_method"] = (
        f"Diebold-Mariano on weekly absolute errors, Newey-West HAC with {fold_weeks} lags (one fold), "
        f"Harvey-Leybourne-Newbold correction with horizon {fold_weeks}, t({len(weeks) - 1}); Holm across "
        f"the {len(paired)} baselines"
    )
    return summary


def test_frame(
    dates: pd.Series,
    y: np.ndarray,
    predictions: dict[str, np.ndarray],
    network_bounds: dict[str, tuple[np.ndarray, np.ndarray]],
    truth: Truth | None,
) -> pd.DataFrame:
    """The test window's per-week table (plots, report): actual, the network and its ranges, every baseline."""
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(dates).dt.strftime("%Y-%m-%d").to_numpy(),
            "actual": y,
            "predicted": predictions[forecasters.NETWORK],
        }
    )
    for key, (lower, upper) in network_bounds.items():
        frame[f"lower_{key}"], frame[f"upper_{key}"] = lower, upper
    for name, values in predictions.items():
        if name != forecasters.NETWORK:
            frame[name] = values
    if truth is not None:
        frame["oracle"] = truth.weeks["HH_expected"].to_numpy(float)
        frame["oracle_median"] = truth.weeks["HH_median"].to_numpy(float)
    frame["residual"] = frame["actual"] - frame["predicted"]
    return frame


def target(frame: pd.DataFrame) -> np.ndarray:
    return frame[TARGET].to_numpy(float)
