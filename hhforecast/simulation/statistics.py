"""The study's statistics across worlds: t intervals, paired tests, Holm's correction, and the summary.

Per family (`summarize`): each model's mean ratio with a t 95 % interval and its mean coverage; the
paired per-world difference network - model, with Holm-corrected p-values; the retraining verdict's
false-alarm rate, detection rate and delay. Owns metrics/study.json's content; reads only world results,
gathered from the blocks' files (`block_files`, `world_results`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hhforecast.core import config, paths
from hhforecast.core.errors import ConfigError
from hhforecast.forecasting import forecasters, intervals


def block_files(study: config.StudyParams) -> list[Path]:
    """Every block's result file (paths.study_block), family by family; a missing one stops the summary,
    the first five named."""
    files = [paths.study_block(family, first) for family in study.families for first in study.blocks]
    missing = [f.as_posix() for f in files if not f.exists()]
    if missing:
        raise ConfigError(
            f"no result for {len(missing)} block(s) of worlds: {', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}; run `make study` (dvc repro study/dvc.yaml)"
        )
    return files


def world_results(blocks: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every world of the blocks' files (each holds its family and its worlds), in the blocks' order."""
    return [world for block in blocks for world in block["worlds"]]


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


def summarize(results: Sequence[dict[str, Any]], families: Sequence[str]) -> dict[str, Any]:
    """metrics/study.json: per family, each model's mean ratio with a t 95 % interval and its mean
    coverage; network - model per world, mean with interval and Holm-corrected p-value (over the
    family's comparisons); the retraining verdict's false-alarm and detection rates."""
    scenarios: dict[str, Any] = {}
    key = f"coverage_{intervals.level_key(config.STUDY_LEVEL)}"
    for family in families:
        rows = sorted((r for r in results if r["family"] == family), key=lambda r: r["world"])
        if not rows:
            raise ValueError(f"study: no world results for family {family!r}")
        known = [
            forecasters.NETWORK,
            *forecasters.BASELINES,
        ]  # the network first, then the baselines in their usual order
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
        others = [m for m in names if m != forecasters.NETWORK]
        diffs = {m: (ratio[forecasters.NETWORK] - ratio[m]).to_numpy() for m in others}
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
