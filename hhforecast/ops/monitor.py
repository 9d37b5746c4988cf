"""Monitoring: does the model still hold, did the inputs move, did collection break, when to retrain.

Every function but `assess_workspace` is pure: frames in, frames and dicts out;
`assess_workspace` reads the pipeline's outputs from the working tree and hands them to
`assess`. The reference for drift and volume is the most recent `reference_weeks` of
data the model knew (up to its `trained_through`): a growing fleet makes older training
weeks an unfair yardstick.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hhforecast.core import io, paths
from hhforecast.core.config import MonitorParams, Params
from hhforecast.dataprep import isoweeks, weekly_dataset
from hhforecast.forecasting import intervals

HEALTHY, WARNING, RETRAIN = 0, 1, 2
LEVEL_NAMES = {HEALTHY: "healthy", WARNING: "warning", RETRAIN: "retrain_recommended"}


def psi(reference: np.ndarray, current: np.ndarray, bins: int) -> float:
    """Population stability index over the reference's quantile bins (a small floor avoids log(0))."""
    reference, current = np.asarray(reference, float), np.asarray(current, float)
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        return 0.0 if np.allclose(current, reference[0]) else float("inf")
    edges[0], edges[-1] = -np.inf, np.inf
    ref_share = np.histogram(reference, edges)[0] / len(reference)
    cur_share = np.histogram(current, edges)[0] / len(current)
    floor = 1e-4
    ref_share, cur_share = np.maximum(ref_share, floor), np.maximum(cur_share, floor)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def age_adjusted(frame: pd.DataFrame, name: str, anchor: pd.Timestamp) -> np.ndarray:
    """Ages moved to a common date: a fleet ages a year every year, which is not drift.

    What remains after subtracting the elapsed time is a change in the fleet's
    make-up (old aircraft joining, young ones leaving) — the drift worth seeing.
    """
    elapsed_years = (pd.to_datetime(frame["date"]) - anchor).dt.days.to_numpy(float) / 365.25
    return frame[name].to_numpy(float) - elapsed_years


def _week_of_year(dates: pd.Series) -> np.ndarray:
    """ISO week 1..52 (a 53rd week counts as the 52nd, so a long year still meets its reference weeks)."""
    return np.minimum(pd.to_datetime(dates).dt.isocalendar().week.to_numpy(int), 52)


def same_season(reference: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """The reference weeks at the weeks of the year `current` covers (all of them once it spans a year)."""
    matched = reference.loc[np.isin(_week_of_year(reference["date"]), _week_of_year(current["date"]))]
    return matched if len(matched) >= 2 else reference


def outside_share(current: np.ndarray, known: np.ndarray) -> float:
    """The share of `current` values beyond anything in `known` (below its minimum or above its maximum)."""
    current = np.asarray(current, float)
    return float(np.mean((current < np.min(known)) | (current > np.max(known)))) if len(current) else 0.0


DRIFT_COLUMNS = [
    "feature",
    "psi",
    "ks_statistic",
    "ks_pvalue",
    "reference_mean",
    "current_mean",
    "mean_shift_sd",
    "std_ratio",
    "outside_known",
    "status",
]


def feature_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    names: list[str],
    params: MonitorParams,
    known: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per feature: PSI, two-sample KS, mean shift (in reference SDs), std ratio, the share of current
    weeks beyond the range of `known` (every week the model knew), status.

    Features in `params.aging_features` are compared age-adjusted (see `age_adjusted`); those in
    `params.seasonal_features` against the reference weeks of the same season (`same_season`):
    eight spring weeks against a whole year would otherwise look like a collapse every spring.
    A move away from the reference year is an alert only when at least `params.outside_share` of
    the current weeks also lie beyond everything known: utilization back to its level before a
    shock, or a fleet of eight losing one aircraft as it did before, is a change the model has seen.
    Aging features are exempt (their age-adjusted history is not a range the model learned).
    """
    rows = []
    anchor = pd.to_datetime(reference["date"]).max()
    for name in names:
        outside = None
        if name in params.aging_features:
            ref, cur = age_adjusted(reference, name, anchor), age_adjusted(current, name, anchor)
        else:
            ref = (same_season(reference, current) if name in params.seasonal_features else reference)[name].to_numpy(
                float
            )
            cur = current[name].to_numpy(float)
            if known is not None:
                outside = outside_share(cur, known[name].to_numpy(float))
        ks = stats.ks_2samp(ref, cur)
        ref_std = float(np.std(ref, ddof=1)) or 1.0
        value = psi(ref, cur, params.psi_bins)
        # PSI measures how much moved, KS whether it is more than sampling noise: an alert needs both.
        status = "ok"
        if value >= params.psi_warn or ks.pvalue < params.ks_pvalue:
            status = "warn"
        if (
            value >= params.psi_alert
            and ks.pvalue < params.ks_pvalue
            and (outside is None or outside >= params.outside_share)
        ):
            status = "alert"
        rows.append(
            {
                "feature": name,
                "psi": value,
                "ks_statistic": float(ks.statistic),
                "ks_pvalue": float(ks.pvalue),
                "reference_mean": float(np.mean(ref)),
                "current_mean": float(np.mean(cur)),
                "mean_shift_sd": float((np.mean(cur) - np.mean(ref)) / ref_std),
                "std_ratio": float(np.std(cur, ddof=1) / ref_std) if len(cur) > 1 else float("nan"),
                "outside_known": float("nan") if outside is None else outside,
                "status": status,
            }
        )
    return pd.DataFrame(rows, columns=DRIFT_COLUMNS)


def weekly_performance(forecasts: pd.DataFrame, actuals: pd.Series) -> pd.DataFrame:
    """Per forecast week with a realized HH: error, absolute and percentage error, interval hits."""
    frame = forecasts.assign(date=pd.to_datetime(forecasts["date"])).set_index("date")
    frame["actual_hh"] = actuals.reindex(frame.index)
    frame = frame.dropna(subset=["actual_hh"])
    frame["error"] = frame["predicted_hh"] - frame["actual_hh"]
    frame["abs_error"] = frame["error"].abs()
    frame["ape"] = np.where(frame["actual_hh"] != 0, frame["abs_error"] / frame["actual_hh"].abs() * 100, np.nan)
    for level in ("80", "95"):
        frame[f"covered_{level}"] = (frame["actual_hh"] >= frame[f"lower_{level}"]) & (
            frame["actual_hh"] <= frame[f"upper_{level}"]
        )
    return frame.reset_index()


def windowed(performance: pd.DataFrame, weeks: int) -> pd.DataFrame:
    """Trailing-window MAE, RMSE, MAPE and coverage, one row per week once the window is full."""
    indexed = performance.set_index("date")
    roll = indexed.rolling(weeks, min_periods=weeks)
    out = pd.DataFrame(
        {
            "mae": roll["abs_error"].mean(),
            "rmse": np.sqrt((indexed["error"] ** 2).rolling(weeks, min_periods=weeks).mean()),
            "mape": roll["ape"].mean(),
            "coverage_80": indexed["covered_80"].astype(float).rolling(weeks, min_periods=weeks).mean(),
            "coverage_95": indexed["covered_95"].astype(float).rolling(weeks, min_periods=weeks).mean(),
        }
    ).dropna(subset=["mae"])
    out.insert(0, "window_weeks", weeks)
    return out.reset_index()


def mae_trend(performance: pd.DataFrame) -> float:
    """Least-squares slope of the weekly absolute error, in HH per week (positive: getting worse)."""
    if len(performance) < 2:
        return 0.0
    x = np.arange(len(performance), dtype=float)
    return float(np.polyfit(x, performance["abs_error"].to_numpy(float), 1)[0])


VOLUME_COLUMNS = ["series", "reference_median", "current_median", "current_min", "weeks_below", "first_week_below"]
# Said once, in monitor.json's `skipped`, where a dataset brought in (data.source: dataset) has no raw rows.
VOLUME_SKIPPED = "volume: skipped, data.source is dataset (a weekly dataset has no raw rows to count)"


def volume(
    counts: pd.DataFrame, reference_dates: pd.Series, current_dates: pd.Series, drop_ratio: float
) -> pd.DataFrame:
    """Rows per week (events, utilization) against the reference median; a week below drop_ratio × median is flagged."""
    indexed = counts.set_index("date")
    reference = indexed.reindex(pd.to_datetime(reference_dates))
    current = indexed.reindex(pd.to_datetime(current_dates)).fillna(0)
    rows = []
    for column in indexed.columns:
        median = float(reference[column].median())
        low = current.index[current[column] < drop_ratio * median]
        rows.append(
            {
                "series": column,
                "reference_median": median,
                "current_median": float(current[column].median()),
                "current_min": float(current[column].min()),
                "weeks_below": len(low),
                "first_week_below": low[0].strftime("%Y-%m-%d") if len(low) else "",
            }
        )
    return pd.DataFrame(rows, columns=VOLUME_COLUMNS)


def missing_weeks(dates: pd.Series) -> list[str]:
    """Mondays absent between the first and last date."""
    dates = pd.to_datetime(dates)
    if dates.empty:
        return []
    expected = pd.date_range(dates.min(), dates.max(), freq="7D")
    return [d.strftime("%Y-%m-%d") for d in expected.difference(pd.DatetimeIndex(dates))]


@dataclass(frozen=True)
class Verdict:
    level: int
    retrain_recommended: bool
    reasons: list[str]
    warnings: list[str]
    reason_kinds: list[str]  # what the reasons are about, for counting: "age", "errors", "feature"


@dataclass(frozen=True)
class ErrorRise:
    """Recent errors against the validation window's: a one-sided Mann–Whitney test on level-scaled errors."""

    recent_mae: float
    validation_mae: float
    p_value: float
    weeks: int
    critical_p: float  # below this, retrain: the per-check level that holds the stated false-alarm rate
    scaled: bool = True  # errors divided by √(forecast); False for a model saved without its validation forecasts


def error_scores(abs_errors: np.ndarray, predicted: np.ndarray | None) -> np.ndarray:
    """|error| / √(forecast), the conformal score (intervals.scale): weekly HH is compound Poisson, so a
    fleet that grows 10 % has errors about 5 % larger with nothing wrong. Unscaled without forecasts."""
    abs_errors = np.asarray(abs_errors, float)
    return abs_errors if predicted is None else abs_errors / intervals.scale(predicted)


def paired_scores(
    production_abs_errors: np.ndarray,
    validation_abs_errors: np.ndarray,
    production_predicted: np.ndarray | None,
    validation_predicted: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Production's and validation's error scores, level-scaled only when both windows' forecasts are known
    (a bundle saved before it kept its validation forecasts is compared unscaled), and whether they are."""
    scaled = production_predicted is not None and validation_predicted is not None
    return (
        error_scores(production_abs_errors, production_predicted if scaled else None),
        error_scores(validation_abs_errors, validation_predicted if scaled else None),
        scaled,
    )


def _rank_sum_p_values(n_recent: int, n_reference: int) -> np.ndarray:
    """The one-sided Mann–Whitney p-value of every U = 0 … n_recent × n_reference, U counting the pairs where a
    recent score exceeds a reference one: samples without ties built to have each U, tested as scipy tests."""
    u = np.arange(n_recent * n_reference + 1)
    below = np.clip(u[:, None] - n_reference * np.arange(n_recent), 0, n_reference)
    recent = below - 0.5 + 1e-3 * np.arange(n_recent)
    reference = np.broadcast_to(np.arange(n_reference, dtype=float), (len(u), n_reference))
    return stats.mannwhitneyu(recent, reference, alternative="greater", axis=-1).pvalue


@functools.lru_cache(maxsize=32)
def critical_p_value(
    n_reference: int, window: int, checks: int, false_alarm_rate: float, simulations: int = 4000, seed: int = 20240401
) -> float:
    """The per-check level at which `checks` consecutive weekly tests (each on the last `window` weeks,
    sharing weeks) fire at least once in `false_alarm_rate` of horizons when nothing changed.

    Under no change the recent and validation scores are exchangeable, and a rank test's p-value
    depends on ranks only, so uniform draws give its exact null whatever the errors' law. One
    weekly check at 0.01 fires over a year of checks far more often than 1 %; this level does not.
    A horizon's smallest p-value is that of its largest U (p falls as U grows), so the test runs once
    per possible U instead of once per window.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    rng = np.random.default_rng(seed)
    reference = rng.random((simulations, 1, n_reference))
    recent = rng.random((simulations, checks + window - 1))
    below = (recent[:, :, None] > reference).sum(axis=-1)
    largest_u = sliding_window_view(below, window, axis=1).sum(axis=-1).max(axis=1)
    smallest = np.sort(_rank_sum_p_values(window, n_reference)[largest_u])
    # Firing below the k-th smallest minimum fires in at most k of the simulated horizons.
    return float(smallest[int(false_alarm_rate * simulations)])


def error_rise(
    recent_abs_errors: np.ndarray,
    validation_abs_errors: np.ndarray,
    params: MonitorParams,
    recent_predicted: np.ndarray | None = None,
    validation_predicted: np.ndarray | None = None,
) -> ErrorRise:
    """Are the last weeks' errors larger than the validation window's? (H1: stochastically greater).

    A rank test, because errors are skewed (rare AOG weeks); on level-scaled errors, because the
    spread grows with the level; and at a level calibrated over the horizon's weekly checks
    (`critical_p_value`), because on 8 weeks an MAE 25 % above validation happens by noise alone
    most years, and some week of a year of checks crosses any fixed per-check level.
    """
    recent, validation, scaled = paired_scores(
        recent_abs_errors, validation_abs_errors, recent_predicted, validation_predicted
    )
    p_value = float(stats.mannwhitneyu(recent, validation, alternative="greater").pvalue)
    checks = max(params.horizon_weeks - len(recent) + 1, 1)
    critical = critical_p_value(len(validation), len(recent), checks, params.false_alarm_rate)
    return ErrorRise(
        float(np.mean(recent_abs_errors)), float(np.mean(validation_abs_errors)), p_value, len(recent), critical, scaled
    )


@dataclass(frozen=True)
class ErrorCusum:
    """A one-sided CUSUM of the production weeks' level-scaled errors, standardized by the validation window's:
    S_t = max(0, S_(t-1) + z_t - slack). `alarm_week` is the first production week (1-based) where S crossed
    `threshold`, the level calibrated to the false-alarm rate over the horizon (`cusum_threshold`)."""

    peak: float
    threshold: float
    alarm_week: int | None
    weeks: int


def cusum_path(scores: np.ndarray, mean: float, spread: float, slack: float) -> np.ndarray:
    """S_t for every week of `scores`, standardized by (mean, spread)."""
    path, total = np.empty(len(scores)), 0.0
    for week, z in enumerate((np.asarray(scores, float) - mean) / spread):
        total = max(0.0, total + z - slack)
        path[week] = total
    return path


@functools.lru_cache(maxsize=32)
def cusum_threshold(
    reference: tuple[float, ...],
    horizon_weeks: int,
    false_alarm_rate: float,
    slack: float,
    block_weeks: int,
    references: int = 200,
    horizons: int = 250,
    guarantee: float = 0.9,
    seed: int = 20240401,
) -> float:
    """The CUSUM level that `horizon_weeks` of errors like the reference's cross in only `false_alarm_rate` of
    horizons, by a circular block bootstrap of the reference scores: blocks of `block_weeks` keep their
    autocorrelation (a level for independent weeks fires far more often on correlated ones).

    The real level is applied with a mean and SD estimated from one short window, and a level that ignores
    that error fires several times too often (the estimated-parameters problem of control charts). So, after
    Gandy & Kvaløy (2013, "guaranteed conditional performance"), each of `references` bootstrapped windows
    gets the level that holds the rate for it over `horizons` bootstrapped horizons, and the level kept is
    the `guarantee` quantile of those: it holds the rate for that share of the windows one might have had.
    """
    scores = np.asarray(reference, float)
    n = len(scores)
    rng = np.random.default_rng(seed)

    def blocks(rows: int, length: int) -> np.ndarray:
        starts = rng.integers(0, n, size=(rows, -(-length // block_weeks)))
        index = (starts[:, :, None] + np.arange(block_weeks)) % n
        return scores[index.reshape(rows, -1)[:, :length]]

    window = blocks(references, n)
    mean, spread = window.mean(axis=1), np.maximum(window.std(axis=1, ddof=1), 1e-9)
    drawn = blocks(references * horizons, horizon_weeks).reshape(references, horizons, horizon_weeks)
    z = (drawn - mean[:, None, None]) / spread[:, None, None]
    total, peak = np.zeros((references, horizons)), np.zeros((references, horizons))
    for week in range(horizon_weeks):
        total = np.maximum(0.0, total + z[:, :, week] - slack)
        peak = np.maximum(peak, total)
    return float(np.quantile(np.quantile(peak, 1 - false_alarm_rate, axis=1), guarantee))


def error_cusum(
    production_abs_errors: np.ndarray,
    validation_abs_errors: np.ndarray,
    params: MonitorParams,
    production_predicted: np.ndarray | None = None,
    validation_predicted: np.ndarray | None = None,
    from_week: int = 1,
) -> ErrorCusum:
    """The CUSUM over every production week so far (oldest first) against the validation window's errors;
    `alarm_week` is its first crossing at or after production week `from_week`."""
    scores, reference, _ = paired_scores(
        production_abs_errors, validation_abs_errors, production_predicted, validation_predicted
    )
    mean, spread = float(reference.mean()), float(max(reference.std(ddof=1), 1e-9))
    threshold = cusum_threshold(
        tuple(float(v) for v in reference),
        params.horizon_weeks,
        params.false_alarm_rate,
        params.cusum_slack,
        params.cusum_block_weeks,
    )
    path = cusum_path(scores, mean, spread, params.cusum_slack)
    crossed = np.flatnonzero(path[from_week - 1 :] > threshold)
    return ErrorCusum(
        float(path.max()) if len(path) else 0.0,
        threshold,
        int(crossed[0]) + from_week if len(crossed) else None,
        len(path),
    )


def verdict(
    rise: ErrorRise | None,
    drift: pd.DataFrame,
    model_age_weeks: int,
    volume_table: pd.DataFrame,
    missing: list[str],
    params: MonitorParams,
    cusum: ErrorCusum | None = None,
) -> Verdict:
    """The retraining policy of params.yaml, with every reason spelled out. The errors are judged by
    `monitor.error_detector`: the rank test (`rise`), or the CUSUM (`cusum`), the rank test then only warning."""
    reasons, warnings, kinds = [], [], set()
    sequential = params.error_detector == "cusum" and cusum is not None
    if sequential:
        assert cusum is not None
        if cusum.alarm_week is not None:
            reasons.append(
                f"the CUSUM of the level-scaled errors crossed its level {cusum.threshold:.2f} in production week "
                f"{cusum.alarm_week} (peak {cusum.peak:.2f} over {cusum.weeks} weeks; level calibrated to "
                f"monitor.false_alarm_rate {params.false_alarm_rate:g} over monitor.horizon_weeks "
                f"{params.horizon_weeks}): the errors rose"
            )
            kinds.add("errors")
    if rise is not None:
        said = (
            f"MAE over the last {rise.weeks} weeks is {rise.recent_mae:.1f} against the validation MAE "
            f"{rise.validation_mae:.1f}; one-sided rank test on {'level-scaled ' if rise.scaled else ''}errors "
            f"p = {rise.p_value:.2g}"
        )
        level = (
            f"{rise.critical_p:.2g}, the per-check level that keeps false alarms to monitor.false_alarm_rate "
            f"{params.false_alarm_rate:g} over monitor.horizon_weeks {params.horizon_weeks} weekly checks"
        )
        if rise.p_value < rise.critical_p and not sequential:
            reasons.append(f"{said} < {level}: the errors rose")
            kinds.add("errors")
        elif rise.p_value < rise.critical_p:
            if "errors" not in kinds:  # the CUSUM decides (monitor.error_detector), and it has not fired
                warnings.append(
                    f"{said} < {level}: the rank test says the errors rose, but the CUSUM, which decides "
                    "(monitor.error_detector), has not crossed its level"
                )
        elif rise.p_value < params.error_rise_warn and not (sequential and "errors" in kinds):
            warnings.append(
                f"{said}: errors may be rising (below monitor.error_rise_warn {params.error_rise_warn:g}, "
                f"not below {level})"
            )
    row: Any  # itertuples' rows carry the table's columns as attributes
    for row in drift.itertuples():
        outside = getattr(row, "outside_known", float("nan"))
        beyond = (
            "" if pd.isna(outside) else f"; {outside:.0%} of the production weeks lie beyond every week the model knew"
        )
        if row.status == "alert":
            reasons.append(
                f"feature {row.feature} drifted: PSI {row.psi:.2f} >= monitor.psi_alert {params.psi_alert:g} "
                f"and KS p-value {row.ks_pvalue:.2g} < {params.ks_pvalue:g}{beyond}"
            )
            kinds.add("feature")
        elif row.status == "warn":
            warnings.append(
                f"feature {row.feature} may be drifting: PSI {row.psi:.2f}, KS p-value {row.ks_pvalue:.3g}{beyond}"
            )
    if model_age_weeks > params.max_model_age_weeks:
        reasons.append(
            f"model is {model_age_weeks} weeks old, more than monitor.max_model_age_weeks={params.max_model_age_weeks}"
        )
        kinds.add("age")
    for row in volume_table.itertuples():
        if row.weeks_below:
            warnings.append(
                f"{row.series}: {row.weeks_below} week(s) below {params.volume_drop_ratio:.0%} of the usual "
                f"volume, first {row.first_week_below} (broken collection?)"
            )
    if missing:
        warnings.append(f"{len(missing)} missing week(s), first {missing[0]}")
    severity = RETRAIN if reasons else WARNING if warnings else HEALTHY
    return Verdict(severity, bool(reasons), reasons, warnings, sorted(kinds))


def weekly_counts(events: pd.DataFrame, utilization: pd.DataFrame) -> pd.DataFrame:
    """Rows per week: kept event rows and aircraft-days of utilization (collection health)."""
    counts = pd.DataFrame(
        {
            "event_rows": events.groupby("week").size(),
            "utilization_rows": utilization.groupby(isoweeks.monday_of(utilization["date"])).size(),
        }
    ).fillna(0)
    counts.index.name = "date"
    return counts.reset_index()


def assess(
    dataset: pd.DataFrame,
    forecasts: pd.DataFrame,
    counts: pd.DataFrame | None,
    metadata: dict[str, Any],
    train_end: pd.Timestamp,
    names: list[str],
    params: MonitorParams,
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """Everything monitoring knows, as (summary for monitor.json, per-week table, drift table). `counts`: the raw
    rows per week, None for a dataset brought in (the volume check is then skipped, and said so)."""
    dataset = dataset.assign(date=pd.to_datetime(dataset["date"]))
    known = dataset.loc[dataset["date"] <= train_end]
    production = weekly_dataset.production_weeks(dataset, train_end)
    reference = known.tail(params.reference_weeks)
    actuals = production.set_index("date")["HH"]

    performance = weekly_performance(forecasts, actuals)
    windows = {w: windowed(performance, w) for w in (4, 13)}
    per_week = performance[
        ["date", "actual_hh", "predicted_hh", "error", "abs_error", "ape", "covered_80", "covered_95"]
    ]
    for w, table in windows.items():
        per_week = per_week.merge(
            table[["date", "mae", "coverage_80"]].rename(
                columns={"mae": f"mae_{w}w", "coverage_80": f"coverage_80_{w}w"}
            ),
            on="date",
            how="left",
        )
    recent = performance.tail(params.window_weeks)
    recent_mae = float(recent["abs_error"].mean()) if len(recent) >= params.window_weeks else None
    validation_errors = np.asarray(metadata.get("validation_abs_errors", []), float)
    logged = metadata.get("validation_predictions")  # absent from bundles saved before they were kept
    validation_predicted = None if logged is None else np.asarray(logged, float)

    def detect(weeks: pd.DataFrame, detector: Callable[..., Any]) -> Any:
        """A detector on these production weeks' errors against the validation window's."""
        return detector(
            weeks["abs_error"].to_numpy(float),
            validation_errors,
            params,
            weeks["predicted_hh"].to_numpy(float),
            validation_predicted,
        )

    rise = detect(recent, error_rise) if recent_mae is not None and len(validation_errors) else None

    # On a handful of weeks any trend puts every point past the reference: KS and PSI would alert on noise.
    drift = (
        feature_drift(reference, production, names, params, known)
        if len(production) >= params.min_drift_weeks
        else pd.DataFrame(columns=DRIFT_COLUMNS)
    )
    volume_table = (
        pd.DataFrame(columns=VOLUME_COLUMNS)
        if counts is None
        else volume(counts, reference["date"], production["date"], params.volume_drop_ratio)
    )
    missing = missing_weeks(dataset["date"])
    last_week = dataset["date"].max()
    model_age = int((last_week - train_end).days // 7)
    validation_mae = float(metadata["metrics"]["val"]["mae"])
    cusum = detect(performance, error_cusum) if len(performance) and len(validation_errors) > 1 else None
    result = verdict(rise, drift, model_age, volume_table, missing, params, cusum)

    def window_summary(table: pd.DataFrame) -> dict[str, Any]:
        return (
            {} if table.empty else {str(k): float(v) for k, v in table.iloc[-1].drop(["date", "window_weeks"]).items()}
        )

    summary = {
        "status": LEVEL_NAMES[result.level],
        "exit_code": result.level,
        "retrain_recommended": result.retrain_recommended,
        "reasons": result.reasons,
        "reason_kinds": result.reason_kinds,
        "warnings": result.warnings,
        "production_weeks": int(len(production)),
        "reference_window": [
            reference["date"].min().strftime("%Y-%m-%d"),
            reference["date"].max().strftime("%Y-%m-%d"),
        ],
        "performance": {
            "weeks_with_actuals": int(len(performance)),
            "mae": float(performance["abs_error"].mean()) if len(performance) else None,
            "rmse": float(np.sqrt((performance["error"] ** 2).mean())) if len(performance) else None,
            "mape": float(performance["ape"].mean()) if len(performance) else None,
            "coverage_80": float(performance["covered_80"].mean()) if len(performance) else None,
            "coverage_95": float(performance["covered_95"].mean()) if len(performance) else None,
            "recent_mae": recent_mae,
            "validation_mae": validation_mae,
            "error_rise_p_value": rise.p_value if rise is not None else None,
            "error_rise_critical_p": rise.critical_p if rise is not None else None,
            "error_detector": params.error_detector,
            "error_cusum": None
            if cusum is None
            else {"peak": cusum.peak, "threshold": cusum.threshold, "alarm_week": cusum.alarm_week},
            "mae_trend_per_week": mae_trend(performance),
            "last_4_weeks": window_summary(windows[4]),
            "last_13_weeks": window_summary(windows[13]),
        },
        "drift": {
            row["feature"]: {k: row[k] for k in ("psi", "ks_pvalue", "mean_shift_sd", "std_ratio", "status")}
            for row in drift.to_dict(orient="records")
        },
        "volume": {
            row["series"]: {k: v for k, v in row.items() if k != "series"}
            for row in volume_table.to_dict(orient="records")
        },
        "missing_weeks": missing,
        "model_age_weeks": model_age,
        "data_through": last_week.strftime("%Y-%m-%d"),
    }
    if counts is None:
        summary["skipped"] = [VOLUME_SKIPPED]
    return summary, per_week, drift


def assess_workspace(
    params: Params, forecasts: pd.DataFrame, metadata: dict[str, Any] | None = None
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """`assess` on the pipeline's outputs in the working tree: the one place that reads them for monitoring.
    `metadata` is the monitored model's (its reference errors, its last week); None: the workspace model's."""
    counts = (
        None
        if params.data.from_dataset
        else weekly_counts(io.read_parquet(paths.EVENTS_CLEAN), io.read_parquet(paths.UTILIZATION_CLEAN))
    )
    metadata = io.read_json(paths.MODEL_METADATA) if metadata is None else metadata
    return assess(
        weekly_dataset.read_dataset(paths.WEEKLY_DATASET),
        forecasts,
        counts,
        metadata,
        # The model's own last week, not split.train_end (which may be `latest`): its age counts from what it learned.
        pd.Timestamp(metadata["trained_through"]),
        weekly_dataset.FEATURES,
        params.monitor,
    )
