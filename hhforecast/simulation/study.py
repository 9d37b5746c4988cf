"""The simulation study: when does a network beat simple models? (DESIGN.md section 9)

One synthetic world cannot answer it: on the default world linear regression's expected MAE is
within a fraction of a percent of the oracle's. Many worlds can, if they differ where a network
might help, and if every comparison carries its interval.

A *family* is a set of overrides of `synthetic` (params.yaml `study.families`); a *world* is a
family and a number, from which its seeds follow (`world_spec`). Per world, everything in memory
(the weekly table comes straight from the simulation; a test shows it equals the dataset the
pipeline builds from the exported files):

* fit the network and every baseline on the main split; score each model's *expected* MAE on the
  test window under the exact weekly distribution, as a ratio to the median oracle's, and the
  expected coverage of its 80 % interval (both free of the test year's luck);
* replay the retraining verdict week by week over the production period of the world (planted
  drift on) and of its drift-free twin (same seeds, drift off): when does it first say retrain?

Per family (`aggregate`): each model's mean ratio with a t 95 % interval and its mean coverage;
the paired per-world difference network - model, with Holm-corrected p-values; the verdict's
false-alarm rate, detection rate and delay. Worlds fan out through joblib (`run_worlds`): loky
processes on one machine, or a Dask cluster unchanged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hhforecast import synth
from hhforecast.core import config
from hhforecast.core.config import MonitorParams, Params, SplitParams, SyntheticParams, TrainParams
from hhforecast.core.errors import ConfigError
from hhforecast.dataprep import weekly_dataset
from hhforecast.forecasting import forecasters, intervals
from hhforecast.ops import monitor
from hhforecast.synth import truthdist

NETWORK = forecasters.NETWORK
LEVEL = 0.8  # the interval whose coverage the study reports
NETWORK_SEED_STEP = 100  # world k's network seeds: train.seed + 100 k, + 1, ... (one per ensemble member)
ROLES = ("drifted", "drift_free")


@dataclass(frozen=True)
class WorldSpec:
    """Everything one world needs: its simulation params and its models' seeds."""

    family: str
    world: int
    synthetic: SyntheticParams
    train: TrainParams
    gbm_seed: int
    levels: tuple[float, ...] = (0.8, 0.95)  # the network's conformal ranges (evaluate.intervals)

    @property
    def label(self) -> str:
        return f"{self.family} #{self.world}"


def world_spec(params: Params, family: str, world: int) -> WorldSpec:
    """World `world` of `family`: seeds synthetic.seed + k, train.seed + 100 k, evaluate.gbm_seed + k."""
    study = settings(params)
    if family not in study.families:
        raise ConfigError(f"study.families: no family {family!r} (families: {', '.join(study.families)})")
    synthetic = config.family_synthetic(params.synthetic, study.families[family], family)
    synthetic = synthetic.model_copy(update={"seed": synthetic.seed + world})
    update: dict[str, Any] = {"seed": params.train.seed + NETWORK_SEED_STEP * world}
    if study.ensemble is not None:
        update["ensemble"] = study.ensemble
    if study.epochs is not None:
        update["epochs"] = study.epochs
    return WorldSpec(
        family,
        world,
        synthetic,
        params.train.model_copy(update=update),
        params.evaluate.gbm_seed + world,
        tuple(params.evaluate.intervals),
    )


def all_specs(params: Params) -> list[WorldSpec]:
    """Every family x world of params.yaml, families in their order."""
    study = settings(params)
    return [world_spec(params, family, world) for family in study.families for world in study.worlds]


def settings(params: Params) -> config.StudyParams:
    if params.study is None:
        raise ConfigError("study: section missing from params.yaml")
    return params.study


def drift_free(synthetic: SyntheticParams) -> SyntheticParams:
    """The same world without its planted drift: no old aircraft swapped in, no rate change.

    The generator draws every aircraft-day from one stream, so removing the drift aircraft
    changes the draws before the drift too: the twin shares the seeds, not the history, and
    needs its own network fit.
    """
    drift = synthetic.drift.model_copy(update={"used_aircraft": 0, "rate_multiplier": 1.0})
    return synthetic.model_copy(update={"drift": drift})


# --- one world, in memory -------------------------------------------------------------------


def weekly_frames(world: synth.World) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The weekly dataset (weekly_dataset.DATASET_COLUMNS, as `join` writes it) and the truth, by week."""
    truth = world.truth.assign(date=world.truth["date"].astype("datetime64[us]")).reset_index(drop=True)
    dataset = truth[weekly_dataset.DATASET_COLUMNS].astype({c: "float64" for c in weekly_dataset.DATASET_COLUMNS[1:]})
    return dataset, truth


def weekly_rows(world: synth.World) -> pd.DataFrame:
    """Rows per week that monitoring's volume check counts: kept event rows and aircraft-days."""
    events = world.events.loc[world.events["source"].isin(synth.KEPT_SOURCES)]
    event_week = events["raised_at"].dt.normalize() - pd.to_timedelta(events["raised_at"].dt.day_of_week, unit="D")
    util = world.utilization
    util_week = util["date"] - pd.to_timedelta(util["date"].dt.day_of_week, unit="D")
    counts = pd.DataFrame({"event_rows": event_week.value_counts(), "utilization_rows": util_week.value_counts()})
    counts = counts.fillna(0).sort_index()
    counts.index = counts.index.astype("datetime64[us]")
    counts.index.name = "date"
    return counts.reset_index()


def _exact(truth: pd.DataFrame, dates: pd.Series, synthetic: SyntheticParams) -> tuple[pd.DataFrame, np.ndarray, float]:
    """The truth's rows for `dates`, their exact weekly HH pmf, and the median oracle's expected MAE there."""
    weeks = truth.set_index("date").loc[dates]
    pmf = synth.weekly_hh_pmf(weeks["HH_expected"], synthetic)
    return weeks, pmf, float(np.mean(truthdist.expected_abs_error(pmf, weeks["HH_median"].to_numpy(float))))


def score_models(
    fitted: Sequence[Any],
    dataset: pd.DataFrame,
    truth: pd.DataFrame,
    parts: dict[str, pd.DataFrame],
    synthetic: SyntheticParams,
) -> dict[str, Any]:
    """Each fitted model's expected MAE on the test window and its ratio to the median oracle's;
    for the network, the expected coverage of its 80 % range (scaled conformal, calibrated on the
    validation window). Baselines learn from train + validation, so they have no held-out weeks
    to calibrate a range on: their coverage is None. The oracle's own 10-90 % range is beside."""
    test = parts["test"]
    weeks, pmf, oracle = _exact(truth, test["date"], synthetic)
    key = intervals.level_key(LEVEL)
    models = {}
    for forecaster in fitted:
        pred = forecaster.predict(test, dataset)
        mae = float(np.mean(truthdist.expected_abs_error(pmf, pred)))
        calibration = getattr(forecaster, "calibration", None)
        coverage = (
            float(np.mean(truthdist.expected_coverage(pmf, *calibration.bounds(pred, key))))
            if calibration is not None
            else None
        )
        models[forecaster.name] = {"expected_mae": mae, "ratio": mae / oracle, f"coverage_{key}": coverage}
    low, high = (weeks[column].to_numpy(float) for column in truthdist.INTERVAL_QUANTILES[key])
    oracle_coverage = float(np.mean(truthdist.expected_coverage(pmf, low, high)))
    return {"oracle_expected_mae": oracle, f"oracle_coverage_{key}": oracle_coverage, "models": models}


def production_ratio(
    network: Any, dataset: pd.DataFrame, truth: pd.DataFrame, parts: dict[str, pd.DataFrame], synthetic: SyntheticParams
) -> float | None:
    """The network's expected MAE over the production period as a ratio to the median oracle's: has the
    model itself decayed since its test window (an alarm is then deserved), or only the noise moved?"""
    production = parts["production"]
    if production.empty:
        return None
    _, pmf, oracle = _exact(truth, production["date"], synthetic)
    return float(np.mean(truthdist.expected_abs_error(pmf, network.predict(production, dataset)))) / oracle


def first_retrain(
    network: Any,
    dataset: pd.DataFrame,
    parts: dict[str, pd.DataFrame],
    counts: pd.DataFrame,
    train_end: dt.date,
    params: MonitorParams,
) -> tuple[int | None, list[str]]:
    """Replay monitoring week by week over the production period: the first week (1 = the first
    production week) whose verdict recommends retraining and its reasons' kinds, or (None, [])."""
    val, production = parts["val"], parts["production"]
    val_predicted = network.predict(val, dataset)
    val_errors = np.abs(val["HH"].to_numpy(float) - val_predicted)
    pred = network.predict(production, dataset)
    forecasts = pd.DataFrame({"date": production["date"], "predicted_hh": pred})
    for key in ("80", "95"):  # the columns monitoring reads
        forecasts[f"lower_{key}"], forecasts[f"upper_{key}"] = network.calibration.bounds(pred, key)
    metadata = {
        "metrics": {"val": {"mae": float(np.mean(val_errors))}},
        "validation_abs_errors": val_errors.tolist(),
        "validation_predictions": val_predicted.tolist(),
    }
    end = pd.Timestamp(train_end)
    n_known = int((dataset["date"] <= end).sum())
    for week in range(1, len(production) + 1):
        seen = dataset.iloc[: n_known + week]
        summary, _, _ = monitor.assess(
            seen, forecasts.iloc[:week], counts, metadata, end, weekly_dataset.FEATURES, params
        )
        if summary["retrain_recommended"]:
            return week, summary["reason_kinds"]
    return None, []


def oracle_error_alarm(truth: pd.DataFrame, parts: dict[str, pd.DataFrame], params: MonitorParams) -> int | None:
    """The error test alone, fed the median oracle's forecasts: a model that cannot decay, so any week it
    fires on is a false alarm of noise. The first such production week, or None."""
    median = truth.set_index("date")["HH_median"]
    val, production = parts["val"], parts["production"]
    val_predicted = median.loc[val["date"]].to_numpy(float)
    val_errors = np.abs(val["HH"].to_numpy(float) - val_predicted)
    predicted = median.loc[production["date"]].to_numpy(float)
    errors = np.abs(production["HH"].to_numpy(float) - predicted)
    for week in range(params.window_weeks, len(production) + 1):
        recent = slice(week - params.window_weeks, week)
        rise = monitor.error_rise(errors[recent], val_errors, params, predicted[recent], val_predicted)
        if rise.p_value < rise.critical_p:
            return week
    return None


def run_role(spec: WorldSpec, role: str, split: SplitParams, monitor_params: MonitorParams) -> dict[str, Any]:
    """One fit task: the world with its drift (every model scored, the network monitored), or its
    drift-free twin (the network only, monitored; and the oracle's errors through the same test).
    Pure apart from a progress line on stderr."""
    # No thread limits around the whole task: gradient boosting limits its own OpenMP threads (forecasters),
    # and the network is fitted in a main thread (_task), which is what kept Dask's results equal to loky's.
    started = time.perf_counter()
    synthetic = spec.synthetic if role == "drifted" else drift_free(spec.synthetic)
    world = synth.build_world(synthetic)
    dataset, truth = weekly_frames(world)
    parts = weekly_dataset.temporal_split(dataset, split.train_end, split.val_weeks, split.test_weeks)
    models = forecasters.build_all(spec.train, list(spec.levels), spec.gbm_seed)
    if role != "drifted":
        models = [m for m in models if m.name == NETWORK]
    fitted = [m.fit(parts["train"], parts["val"]) for m in models]
    network = next(m for m in fitted if m.name == NETWORK)
    week, kinds = first_retrain(network, dataset, parts, weekly_rows(world), split.train_end, monitor_params)
    out: dict[str, Any] = {"retrain_week": week, "retrain_reasons": kinds}
    drift_weeks = truth.loc[truth["drift"] == 1, "date"]
    production_start = parts["production"]["date"].iloc[0] if len(parts["production"]) else None
    if role == "drifted":
        out.update(score_models(fitted, dataset, truth, parts, synthetic))
        # Weeks between the first production week and the drift's start (0 when the drift starts with production).
        out["drift_starts_week"] = (
            int((drift_weeks.iloc[0] - production_start).days // 7) + 1
            if len(drift_weeks) and production_start is not None
            else None
        )
    else:
        out["production_ratio"] = production_ratio(network, dataset, truth, parts, synthetic)
        out["oracle_alarm_week"] = oracle_error_alarm(truth, parts, monitor_params)
    seconds = time.perf_counter() - started
    ratio = out.get("models", {}).get(NETWORK, {}).get("ratio")
    print(
        f"study: {spec.label} {role}: "
        + (f"network ratio {ratio:.3f}, " if ratio is not None else "")
        + f"retrain week {out['retrain_week']} ({seconds:.1f} s)",
        file=sys.stderr,
        flush=True,
    )
    return out


def world_result(spec: WorldSpec, roles: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One world's JSON: seeds, each model's scores, and when the verdict first fired."""
    drifted, twin = roles["drifted"], roles["drift_free"]
    start = drifted["drift_starts_week"] or 1
    fired = drifted["retrain_week"]
    return {
        "family": spec.family,
        "world": spec.world,
        "seeds": {"synthetic": spec.synthetic.seed, "network": spec.train.seed, "gbm": spec.gbm_seed},
        "oracle_expected_mae": drifted["oracle_expected_mae"],
        "oracle_coverage_80": drifted["oracle_coverage_80"],
        "models": drifted["models"],
        "monitor": {
            "drift_free_retrain_week": twin["retrain_week"],
            "drift_free_reasons": twin["retrain_reasons"],
            # The drift-free twin's network over its production weeks (expected MAE / the oracle's): decay, or noise?
            "drift_free_production_ratio": twin["production_ratio"],
            "oracle_alarm_week": twin["oracle_alarm_week"],
            "drifted_retrain_week": fired,
            # Weeks of drifted data seen when the verdict first said retrain (1: after the first drifted week).
            "detection_delay_weeks": fired - start + 1 if fired is not None and fired >= start else None,
        },
    }


def _task(spec: WorldSpec, role: str, split: SplitParams, monitor_params: MonitorParams) -> dict[str, Any]:
    """`run_role` in a main thread. Dask runs tasks in worker threads, and there a network fitted
    after an earlier task in the same worker came out wrong (ratio 9.38 instead of 1.47 on the same
    seeds); a loky process beside the worker runs it in its main thread, as the loky backend does.
    Dask workers must then be allowed children (distributed.worker.daemon: false)."""
    import threading

    if threading.current_thread() is threading.main_thread():
        return run_role(spec, role, split, monitor_params)
    from joblib.externals.loky import get_reusable_executor

    return get_reusable_executor(max_workers=1).submit(run_role, spec, role, split, monitor_params).result()


@contextlib.contextmanager
def _backend(backend: str, scheduler: str | None, n_jobs: int) -> Iterator[None]:
    import joblib

    if backend == "dask":
        from dask.distributed import Client

        with (
            Client(scheduler) as client,
            joblib.parallel_config(backend="dask", n_jobs=n_jobs, wait_for_workers_timeout=60),
        ):
            del client
            yield
    else:
        with joblib.parallel_config(backend="loky", n_jobs=n_jobs):
            yield


def run_worlds(
    specs: Sequence[WorldSpec],
    split: SplitParams,
    monitor_params: MonitorParams,
    backend: str = "loky",
    scheduler: str | None = None,
    n_jobs: int = 2,
) -> list[dict[str, Any]]:
    """Every world's result, in the order of `specs`. Each world is two independent fit tasks
    (drifted, drift-free twin) handed to joblib: loky processes here, or a Dask cluster with
    backend 'dask' and its scheduler address. Every fit is seeded, so results do not depend on
    the backend nor on `n_jobs`."""
    import joblib

    tasks = [(spec, role) for spec in specs for role in ROLES]
    with _backend(backend, scheduler, n_jobs):
        outputs = joblib.Parallel()(joblib.delayed(_task)(spec, role, split, monitor_params) for spec, role in tasks)
    by_task = {(spec.family, spec.world, role): out for (spec, role), out in zip(tasks, outputs)}
    return [world_result(spec, {role: by_task[(spec.family, spec.world, role)] for role in ROLES}) for spec in specs]


# --- per family -----------------------------------------------------------------------------


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and its t interval; a degenerate (zero-spread) sample gives the mean as both ends."""
    x = np.asarray(values, float)
    mean = float(np.mean(x))
    sem = float(stats.sem(x)) if len(x) > 1 else 0.0
    if sem == 0 or not math.isfinite(sem):
        return mean, mean, mean
    low, high = stats.t.interval(confidence, len(x) - 1, loc=mean, scale=sem)
    return mean, float(low), float(high)


def paired_p_value(diffs: Sequence[float]) -> float:
    """Two-sided one-sample t test of mean difference 0 (1.0 for a zero-spread sample at 0)."""
    x = np.asarray(diffs, float)
    if len(x) < 2 or np.ptp(x) == 0:
        return 1.0 if np.all(x == 0) else 0.0
    return float(stats.ttest_1samp(x, 0.0).pvalue)


def holm(p_values: Sequence[float]) -> list[float]:
    from statsmodels.stats.multitest import multipletests

    if not len(p_values):
        return []
    return [float(p) for p in multipletests(list(p_values), method="holm")[1]]


def aggregate(results: Sequence[dict[str, Any]], families: Sequence[str]) -> dict[str, Any]:
    """metrics/study.json: per family, each model's mean ratio with a t 95 % interval and its mean
    coverage; network - model per world, mean with interval and Holm-corrected p-value (over the
    family's comparisons); the retraining verdict's false-alarm and detection rates."""
    scenarios: dict[str, Any] = {}
    key = f"coverage_{intervals.level_key(LEVEL)}"
    for family in families:
        rows = sorted((r for r in results if r["family"] == family), key=lambda r: r["world"])
        if not rows:
            raise ValueError(f"study: no world results for family {family!r}")
        known = [NETWORK, *forecasters.BASELINES]  # the network first, then the baselines in their usual order
        names = sorted(rows[0]["models"], key=lambda m: (known.index(m) if m in known else len(known), m))
        ratio = pd.DataFrame([{m: r["models"][m]["ratio"] for m in names} for r in rows])
        models = {}
        for name in names:
            mean, low, high = mean_interval(ratio[name])
            covered = [r["models"][name][key] for r in rows if r["models"][name][key] is not None]
            models[name] = {
                "ratio_mean": mean,
                "ratio_ci_low": low,
                "ratio_ci_high": high,
                f"{key}_mean": float(np.mean(covered)) if covered else None,
            }
        others = [m for m in names if m != NETWORK]
        diffs = {m: (ratio[NETWORK] - ratio[m]).to_numpy() for m in others}
        p_holm = holm([paired_p_value(diffs[m]) for m in others])
        vs_network = {}
        for name, p in zip(others, p_holm):
            mean, low, high = mean_interval(diffs[name])
            vs_network[name] = {
                "diff_mean": mean,
                "ci_low": low,
                "ci_high": high,
                "p_holm": p,
                "verdict": comparison_word(low, high, p),
            }
        false_alarms = [r["monitor"]["drift_free_retrain_week"] is not None for r in rows]
        delays = [r["monitor"]["detection_delay_weeks"] for r in rows]
        detected = [d for d in delays if d is not None]
        kinds = sorted({k for r in rows for k in r["monitor"]["drift_free_reasons"]})
        decay = mean_interval([r["monitor"]["drift_free_production_ratio"] for r in rows])
        scenarios[family] = {
            "worlds": len(rows),
            "models": models,
            # The oracle's own 10-90 % range, for scale: the best an 80 % range can do.
            f"oracle_{key}_mean": float(np.mean([r[f"oracle_{key}"] for r in rows])),
            "vs_network": vs_network,
            "monitor": {
                "false_alarm_rate": float(np.mean(false_alarms)),
                # Which reasons fired on the drift-free twins (a twin can fire for more than one).
                "false_alarm_reasons": {
                    k: float(np.mean([k in r["monitor"]["drift_free_reasons"] for r in rows])) for k in kinds
                },
                # The error test fed the median oracle, which cannot decay: its alarms are noise alone.
                "noise_false_alarm_rate": float(np.mean([r["monitor"]["oracle_alarm_week"] is not None for r in rows])),
                # The drift-free network's expected MAE ratio over production: above its test-window
                # ratio, the model decayed without any planted drift and an alarm is deserved.
                "drift_free_production_ratio_mean": decay[0],
                "drift_free_production_ratio_ci": [decay[1], decay[2]],
                "detection_rate": len(detected) / len(rows),
                "detection_delay_weeks": float(np.mean(detected)) if detected else None,
            },
        }
    return {"scenarios": scenarios}


def comparison_word(low: float, high: float, p_holm: float = 0.0, alpha: float = 0.05) -> str:
    """Network - model on expected-MAE ratio: below 0 the network is better; an interval holding 0 is a tie,
    and so is a difference whose Holm-corrected p-value is not below `alpha` (the family's other comparisons count)."""
    if low <= 0 <= high or p_holm >= alpha:
        return "tie"
    return "network better" if high < 0 else "network worse"


# --- the report -----------------------------------------------------------------------------


def _label(name: str) -> str:
    return forecasters.LABELS.get(name, name)


def _p(value: float) -> str:
    """A p-value as the tables print it; below the JSON's 6 decimals it reads as a bound, not as 0."""
    return "< 1e-06" if value < 1e-6 else f"{value:.3g}"


def markdown(summary: dict[str, Any]) -> str:
    """reports/study.md: the table and the sentences, every number from `summary`."""
    key = f"coverage_{intervals.level_key(LEVEL)}_mean"
    lines = [
        "# Simulation study: when does a network beat simple models?",
        "",
        "Expected MAE on the test window as a ratio to the median oracle's (1 = the best any model can do),",
        "mean over worlds with its t 95 % interval; the network's expected coverage of its 80 % range (the",
        "baselines learn from the validation weeks too, so they have none to calibrate a range on); and network − model,",
        "the paired per-world difference of ratios (negative: the network is better) with its t 95 % interval",
        "and Holm-corrected p-value. An interval that holds 0, or a Holm p-value of 0.05 or more, is a tie.",
        "",
        "| family | worlds | model | ratio | 95 % interval | coverage 80 % | network − model | 95 % interval | p (Holm) | |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for family, scenario in summary["scenarios"].items():
        for name, m in scenario["models"].items():
            vs = scenario["vs_network"].get(name)
            diff = (
                (
                    f"{vs['diff_mean']:+.3f} | [{vs['ci_low']:+.3f}, {vs['ci_high']:+.3f}] | {_p(vs['p_holm'])} | "
                    f"{vs['verdict']}"
                )
                if vs
                else "| | |"
            )
            coverage = "—" if m[key] is None else f"{m[key]:.2f}"
            lines.append(
                f"| {family} | {scenario['worlds']} | {_label(name)} | {m['ratio_mean']:.3f} | "
                f"[{m['ratio_ci_low']:.3f}, {m['ratio_ci_high']:.3f}] | {coverage} | {diff} |"
            )
    lines += ["", "## What it says", ""]
    for family, scenario in summary["scenarios"].items():
        lines.append(f"* **{family}**: " + family_sentence(scenario))
    lines += [
        "",
        "## The retraining verdict, measured",
        "",
        "Replayed week by week over each world's production period (after `split.train_end`). On the",
        "drift-free twins: how often the verdict said retrain, and for which reasons; how often the error",
        "test alone fires on the median oracle's forecasts (a model that cannot decay: noise alone); and the",
        "network's expected MAE ratio over those production weeks (above its test-window ratio, the model",
        "decayed with no planted drift). On the drifted worlds: detection rate and mean delay.",
        "",
        "| family | worlds | false alarms (drift-free) | by reason | oracle's error test (noise) | "
        "network's production ratio (drift-free) | detection rate | mean delay (weeks) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for family, scenario in summary["scenarios"].items():
        mon = scenario["monitor"]
        delay = "—" if mon["detection_delay_weeks"] is None else f"{mon['detection_delay_weeks']:.1f}"
        by_reason = ", ".join(f"{k} {v:.2f}" for k, v in mon["false_alarm_reasons"].items()) or "—"
        low, high = mon["drift_free_production_ratio_ci"]
        lines.append(
            f"| {family} | {scenario['worlds']} | {mon['false_alarm_rate']:.2f} | {by_reason} | "
            f"{mon['noise_false_alarm_rate']:.2f} | {mon['drift_free_production_ratio_mean']:.3f} "
            f"[{low:.3f}, {high:.3f}] | {mon['detection_rate']:.2f} | {delay} |"
        )
    return "\n".join(lines) + "\n"


def family_sentence(scenario: dict[str, Any]) -> str:
    """What one family's numbers say, in words."""
    net = scenario["models"][NETWORK]
    text = (
        f"over {scenario['worlds']} worlds the network's expected MAE is {net['ratio_mean']:.3f}× the oracle's "
        f"[{net['ratio_ci_low']:.3f}, {net['ratio_ci_high']:.3f}]"
    )
    parts = []
    for name, vs in scenario["vs_network"].items():
        if vs["verdict"] == "tie":
            parts.append(
                f"ties with {_label(name)} ({vs['diff_mean']:+.3f}, interval [{vs['ci_low']:+.3f}, "
                f"{vs['ci_high']:+.3f}], Holm p {_p(vs['p_holm'])})"
            )
        else:
            word = "beats" if vs["verdict"] == "network better" else "loses to"
            parts.append(
                f"{word} {_label(name)} by {abs(vs['diff_mean']):.3f} "
                f"([{vs['ci_low']:+.3f}, {vs['ci_high']:+.3f}], Holm p {_p(vs['p_holm'])})"
            )
    mon = scenario["monitor"]
    delay = (
        "" if mon["detection_delay_weeks"] is None else f", after {mon['detection_delay_weeks']:.1f} weeks on average"
    )
    cover = (
        f" Its 80 % range covers {net['coverage_80_mean']:.0%} of the weeks in expectation (the oracle's own "
        f"10–90 % range: {scenario['oracle_coverage_80_mean']:.0%})."
        if net["coverage_80_mean"] is not None
        else ""
    )
    low, high = mon["drift_free_production_ratio_ci"]
    decayed = low > net["ratio_ci_high"]
    why = (
        f" (there the network's production ratio is {mon['drift_free_production_ratio_mean']:.3f} [{low:.3f}, {high:.3f}], "
        f"above its test-window interval: it decayed without any planted drift)"
        if decayed
        else ""
    )
    return (
        text
        + "; it "
        + "; ".join(parts)
        + "."
        + cover
        + f" The retraining verdict fired in {mon['false_alarm_rate']:.0%} of "
        f"the drift-free twins{why}, its error test on the oracle's forecasts in {mon['noise_false_alarm_rate']:.0%}; "
        f"it detected the drift in {mon['detection_rate']:.0%} of the drifted worlds{delay}."
    )


def figure(summary: dict[str, Any]):
    """Ratio per model per family, with its 95 % interval; the oracle at 1."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = summary["scenarios"]
    families = list(scenarios)
    names = list(next(iter(scenarios.values()))["models"])
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(families)), 4.0))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        x = np.arange(len(families)) + (i - (len(names) - 1) / 2) * width
        mean = np.array([scenarios[f]["models"][name]["ratio_mean"] for f in families])
        low = np.array([scenarios[f]["models"][name]["ratio_ci_low"] for f in families])
        high = np.array([scenarios[f]["models"][name]["ratio_ci_high"] for f in families])
        ax.errorbar(x, mean, yerr=[mean - low, high - mean], fmt="o", capsize=3, label=_label(name))
    ax.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xticks(np.arange(len(families)), families)
    ax.set_ylabel("expected MAE / median oracle's")
    ax.set_title("Simulation study: expected MAE ratio per family (mean, t 95 % interval)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig
