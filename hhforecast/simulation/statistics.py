"""The study's statistics across worlds: t intervals, paired tests, one Holm policy, equivalence, and the summary.

Per family (`summarize`): each model's mean ratio with a t 95 % interval, its median and IQR (the
per-world ratios are skewed) and its mean coverage; the paired per-world difference network - model
with its t interval, a Wilcoxon signed-rank p-value beside it (a check that does not lean on the mean),
and a TOST equivalence test at ± `EQUIVALENCE_MARGIN`; the retraining verdict's false-alarm rate,
detection rate and delay.

One multiplicity policy, Holm, with one family of tests per question (`apply_holm`): (a) the default
network against each baseline, over every study family; (b) one architecture against the other, over
every study family. TOST results sit beside them, outside the families. "tie" means no difference was
shown; "equivalent" only that TOST rejected a difference beyond the margin. Owns metrics/study.json's
content; reads only world results, gathered from the blocks' files (`block_files`, `world_results`).
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
from hhforecast.evaluation.compare import holm
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


# The equivalence margin, in expected-MAE ratio: 2 % of the median oracle's expected MAE.
EQUIVALENCE_MARGIN = 0.02
ALPHA = 0.05


def tost_p_value(diffs: Sequence[float], margin: float = EQUIVALENCE_MARGIN) -> float:
    """Two one-sided t tests of |mean difference| < margin: small p means equivalent within the margin."""
    from statsmodels.stats.weightstats import ttost_paired

    x = np.asarray(diffs, float)
    if len(x) < 2:
        return 1.0  # one world is no evidence of equivalence
    if np.ptp(x) == 0:
        return 0.0 if abs(float(x[0])) < margin else 1.0
    return float(ttost_paired(x, np.zeros_like(x), -margin, margin)[0])


def wilcoxon_p_value(diffs: Sequence[float]) -> float:
    """Two-sided Wilcoxon signed-rank test of a zero median difference (1.0 when every difference is 0)."""
    x = np.asarray(diffs, float)
    if len(x) < 2 or np.all(x == 0):
        return 1.0
    return float(stats.wilcoxon(x).pvalue)


def summarize(results: Sequence[dict[str, Any]], families: Sequence[str]) -> dict[str, Any]:
    """metrics/study.json: per family, each model's ratio (mean with a t 95 % interval, median, IQR) and
    mean coverage; network - model per world, with its interval, t, Wilcoxon and TOST p-values and the
    Holm-corrected t p-value under the study's one policy (`apply_holm`); the retraining verdict's
    false-alarm and detection rates."""
    scenarios: dict[str, Any] = {}
    key = f"coverage_{intervals.level_key(config.STUDY_LEVEL)}"
    for family in families:
        rows = sorted((r for r in results if r["family"] == family), key=lambda r: r["world"])
        if not rows:
            raise ValueError(f"study: no world results for family {family!r}")
        known = [forecasters.NETWORK, *forecasters.ARCHITECTURE_MODELS, *forecasters.BASELINES]
        names = sorted(rows[0]["models"], key=lambda m: (known.index(m) if m in known else len(known), m))
        ratio = pd.DataFrame([{m: r["models"][m]["ratio"] for m in names} for r in rows])
        models = {}
        for name in names:
            mean, low, high = mean_interval(ratio[name])
            covered = [r["models"][name][key] for r in rows if r["models"][name][key] is not None]
            q1, median, q3 = (float(v) for v in np.percentile(ratio[name], [25, 50, 75]))
            models[name] = {
                "ratio_mean": mean,
                "ratio_ci_low": low,
                "ratio_ci_high": high,
                "ratio_median": median,
                "ratio_iqr": [q1, q3],
                f"{key}_mean": float(np.mean(covered)) if covered else None,
            }
            for shape in intervals.SHAPES:
                scored = [r["models"][name].get("intervals", {}).get(shape) for r in rows]
                if all(scored):
                    models[name][f"{shape}_ranges"] = {
                        measure: float(np.mean([score[measure] for score in scored])) for measure in scored[0]
                    }
        others = [m for m in names if m != forecasters.NETWORK]
        vs_network = {}
        for name in others:
            diff = (ratio[forecasters.NETWORK] - ratio[name]).to_numpy()
            mean, low, high = mean_interval(diff)
            vs_network[name] = {
                "diff_mean": mean,
                "ci_low": low,
                "ci_high": high,
                "p_value": paired_p_value(diff),
                "wilcoxon_p": wilcoxon_p_value(diff),
                "tost_p": tost_p_value(diff),
                "wins": int(np.sum(diff < 0)),
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
                "detectors": detector_summary([r["monitor"].get("detectors") or {} for r in rows]),
            },
        }
    apply_holm(scenarios)
    return {"equivalence_margin": EQUIVALENCE_MARGIN, "alpha": ALPHA, "scenarios": scenarios}


QUARTER_WEEKS = 13  # the detectors' target: a change found within a quarter


def detector_summary(worlds: list[dict[str, Any]]) -> dict[str, Any]:
    """Per error detector: its false-alarm rate on the drift-free twins (fed the network, and fed the median
    oracle: noise alone), and per rate change the share of worlds where it fired within 13 weeks, at all, and
    the median and 90th percentile of its delay (weeks, among the worlds where it fired); {} without them."""
    if not any(worlds):
        return {}
    if not all(worlds):
        raise ValueError(
            f"{sum(not w for w in worlds)} of {len(worlds)} worlds carry no error-detector results: "
            "re-run their blocks (make study)"
        )
    out: dict[str, Any] = {}
    for detector in worlds[0]["network_drift_free"]:
        summary: dict[str, Any] = {
            "false_alarm_network": float(np.mean([w["network_drift_free"][detector] is not None for w in worlds])),
            "false_alarm_oracle": float(np.mean([w["oracle_drift_free"][detector] is not None for w in worlds])),
        }
        for change in (key for key in worlds[0] if key.startswith("rate_")):
            weeks = [w[change][detector] for w in worlds]
            fired = [week for week in weeks if week is not None]
            summary[change] = {
                "detected_within_quarter": float(np.mean([w is not None and w <= QUARTER_WEEKS for w in weeks])),
                "detected": len(fired) / len(weeks),
                "delay_median": float(np.median(fired)) if fired else None,
                "delay_p90": float(np.quantile(fired, 0.9)) if fired else None,
            }
        out[detector] = summary
    return out


def question(name: str) -> str:
    """Which Holm family a comparison of the network with `name` belongs to."""
    return "architecture" if name in forecasters.ARCHITECTURE_MODELS else "baselines"


def apply_holm(scenarios: dict[str, Any]) -> None:
    """Holm over every comparison of one question across all families; adds p_holm, verdict and
    equivalent (TOST p below ALPHA, reported beside the family, not in it) to each comparison."""
    for asked in ("baselines", "architecture"):
        cells = [
            comparison
            for family in scenarios.values()
            for name, comparison in family["vs_network"].items()
            if question(name) == asked
        ]
        for comparison, corrected in zip(cells, holm([c["p_value"] for c in cells])):
            comparison["holm_family"] = asked
            comparison["holm_size"] = len(cells)
            comparison["p_holm"] = corrected
            comparison["verdict"] = comparison_word(comparison["ci_low"], comparison["ci_high"], corrected)
            comparison["equivalent"] = comparison["tost_p"] < ALPHA


def comparison_word(low: float, high: float, p_holm: float = 0.0, alpha: float = ALPHA) -> str:
    """Network - model on expected-MAE ratio: below 0 the network is better; an interval holding 0 is a tie
    (no difference shown), and so is a difference whose Holm-corrected p-value is not below `alpha`."""
    if low <= 0 <= high or p_holm >= alpha:
        return "tie"
    return "network better" if high < 0 else "network worse"


def rate_interval(rate: float, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson (exact binomial) interval of a rate observed as `rate` over `trials` worlds: how far
    20 worlds pin a false-alarm or detection rate down."""
    from statsmodels.stats.proportion import proportion_confint

    hits = round(rate * trials)
    low, high = proportion_confint(hits, trials, alpha=1 - level, method="beta")
    return float(low), float(high)
