"""The study's words and pictures: reports/study.md (the tables and one sentence per family), the figure
(drawn and rendered with reporting.figures' style and PNG), and the thesis's study table.

Every number comes from the summary (statistics.summarize), as metrics/study.json holds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hhforecast.core import config, paths
from hhforecast.forecasting import forecasters, intervals
from hhforecast.reporting import figures, labels, tables, thesis
from hhforecast.simulation import statistics

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _label(name: str) -> str:
    return forecasters.LABELS.get(name, name)


def _diff_cells(vs: dict[str, Any] | None) -> str:
    if not vs:
        return "| | | | |"
    equivalent = "equivalent" if vs["equivalent"] else "not shown"
    return (
        f"{vs['diff_mean']:+.3f} [{vs['ci_low']:+.3f}, {vs['ci_high']:+.3f}] | {labels.p_value(vs['p_holm'], 'en')} | "
        f"{vs['verdict']} | {labels.p_value(vs['wilcoxon_p'], 'en')} ({vs['wins']} wins) | "
        f"{labels.p_value(vs['tost_p'], 'en')} {equivalent} |"
    )


def markdown(summary: dict[str, Any]) -> str:
    """reports/study.md (in English): the tables and the sentences, every number from `summary`."""
    key = f"coverage_{intervals.level_key(config.STUDY_LEVEL)}_mean"
    margin = summary["equivalence_margin"]
    lines = [
        "# Simulation study: when does a network beat simple models?",
        "",
        "Expected MAE on the test window as a ratio to the median oracle's (1 = the best any model can do):",
        "mean over worlds with its t 95 % interval, and the median with the interquartile range (the per-world",
        "ratios are skewed). Every model learns from the same weeks (train + validation). The network's",
        "expected coverage of its 80 % range beside it (the baselines have no held-out weeks to calibrate one).",
        "`network` is the default architecture (`train.architecture`); the other one is reported as the ablation.",
        "",
        "Network − model is the paired per-world difference of ratios (negative: the network is better) with its",
        "t 95 % interval. One multiplicity policy: Holm, over every family of the study at once, one Holm family",
        "per question: (a) the network against each baseline, (b) one architecture against the other. A Holm",
        "p-value of 0.05 or more, or an interval that holds 0, is a tie: no difference shown. Beside them, not",
        "in the Holm families: a Wilcoxon signed-rank p-value (with how many worlds the network won) as a check",
        f"that does not lean on the mean, and TOST, two one-sided t tests with a margin of ±{margin:g} in ratio",
        f"({margin:.0%} of the oracle's expected MAE): 'equivalent' only where TOST's p is below 0.05.",
        "",
        "| family | worlds | model | ratio, mean [95 %] | median [IQR] | coverage 80 % | network − model [95 %] "
        "| p (Holm) | | Wilcoxon p | TOST p |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for family, scenario in summary["scenarios"].items():
        for name, m in scenario["models"].items():
            coverage = "—" if m[key] is None else f"{m[key]:.2f}"
            iqr = m.get("ratio_iqr", [float("nan"), float("nan")])
            lines.append(
                f"| {family} | {scenario['worlds']} | {_label(name)} | {m['ratio_mean']:.3f} "
                f"[{m['ratio_ci_low']:.3f}, {m['ratio_ci_high']:.3f}] | {m.get('ratio_median', float('nan')):.3f} "
                f"[{iqr[0]:.3f}, {iqr[1]:.3f}] | {coverage} | " + _diff_cells(scenario["vs_network"].get(name))
            )
    lines += ["", "## What it says", ""]
    for family, scenario in summary["scenarios"].items():
        lines.append(f"* **{family}**: " + family_sentence(scenario))
    shaped = [
        (family, name, m)
        for family, scenario in summary["scenarios"].items()
        for name, m in scenario["models"].items()
        if any(f"{shape}_ranges" in m for shape in intervals.SHAPES)
    ]
    if shaped:
        lines += [
            "",
            "## The ranges: symmetric or asymmetric",
            "",
            "Each network's 80 % range under both shapes, calibrated on the same held-out weeks: expected coverage,",
            "expected interval score (lower is better) and mean width as a ratio to the oracle's own 10–90 % range.",
            "",
            "| family | model | symmetric: coverage | interval score | width ratio | asymmetric: coverage "
            "| interval score | width ratio |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for family, name, m in shaped:
            cells = []
            for shape in intervals.SHAPES:
                r = m.get(f"{shape}_ranges")
                cells.append(
                    "— | — | —"
                    if r is None
                    else f"{r['coverage']:.3f} | {r['interval_score']:.1f} | {r['width_ratio']:.3f}"
                )
            lines.append(f"| {family} | {_label(name)} | " + " | ".join(cells) + " |")
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
    lines += detector_table(summary)
    return "\n".join(lines) + "\n"


def detector_table(summary: dict[str, Any]) -> list[str]:
    """The error detectors' false alarms and power, for the families that measured them."""
    measured = {f: s["monitor"]["detectors"] for f, s in summary["scenarios"].items() if s["monitor"].get("detectors")}
    if not measured:
        return []
    # Every family's false alarms; the rate changes only where study.detector_families ran them.
    changes = sorted(
        {key for found in measured.values() for d in found.values() for key in d if key.startswith("rate_")}
    )
    lines = [
        "",
        "## The error detectors, measured",
        "",
        "Each error detector (`monitor.error_detector`) replayed week by week over the drift-free twins'",
        "production weeks. False alarms: fed the twin's network (a model that may also decay a little), and",
        "fed the median oracle (noise alone); the level is calibrated to `monitor.false_alarm_rate` over",
        "`monitor.horizon_weeks`. Power: the same network, where the defect rate changed over the planted",
        "drift's period with no feature moving: the share of worlds where it fired within 13 weeks of the",
        "change, and the median and 90th percentile of the delay (weeks; 1: on the change's first week)",
        "among those where it fired. Each rate carries its exact (Clopper–Pearson) 95 % interval: 20 worlds",
        "pin a rate down only roughly, so the pooled rows below the table, over every family, are the",
        "calibration's test.",
        "",
        "| family | detector | false alarms (network) | false alarms (oracle) | "
        + " | ".join(f"{_change(c)}: within 13 weeks | median delay | 90th pct. delay" for c in changes)
        + " |",
        "|---|---|---|---|" + "---|---|---|" * len(changes),
    ]
    for family, detectors in measured.items():
        worlds = summary["scenarios"][family]["worlds"]
        for name, found in detectors.items():
            cells = [
                "— | — | —"
                if c not in found
                else f"{_rate(found[c]['detected_within_quarter'], worlds)} | {_weeks(found[c]['delay_median'])} | "
                f"{_weeks(found[c]['delay_p90'])}"
                for c in changes
            ]
            lines.append(
                f"| {family} | {name} | {_rate(found['false_alarm_network'], worlds)} | "
                f"{_rate(found['false_alarm_oracle'], worlds)} | " + " | ".join(cells) + " |"
            )
    lines += ["", "| detector | drift-free twins | false alarms (network), pooled | false alarms (oracle), pooled |"]
    lines.append("|---|---|---|---|")
    for name in sorted({name for detectors in measured.values() for name in detectors}):
        pooled = {"false_alarm_network": 0.0, "false_alarm_oracle": 0.0}
        trials = 0
        for family, detectors in measured.items():
            if name in detectors:
                worlds = summary["scenarios"][family]["worlds"]
                trials += worlds
                for key in pooled:
                    pooled[key] += round(detectors[name][key] * worlds)
        network, oracle = (_rate(pooled[key] / trials, trials) for key in pooled)
        lines.append(f"| {name} | {trials} | {network} | {oracle} |")
    return lines


def _rate(rate: float, worlds: int) -> str:
    """A rate over `worlds` with its exact 95 % interval: "0.15 [0.03, 0.38]"."""
    low, high = statistics.rate_interval(rate, worlds)
    return f"{rate:.2f} [{low:.2f}, {high:.2f}]"


def _change(key: str) -> str:
    """'rate_1.15' -> 'rate +15 %'."""
    return f"rate {float(key.removeprefix('rate_')) - 1:+.0%}".replace("%", " %")


def _weeks(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def family_sentence(scenario: dict[str, Any]) -> str:
    """What one family's numbers say, in words."""
    net = scenario["models"][forecasters.NETWORK]
    text = (
        f"over {scenario['worlds']} worlds the network's expected MAE is {net['ratio_mean']:.3f}× the oracle's "
        f"[{net['ratio_ci_low']:.3f}, {net['ratio_ci_high']:.3f}]"
    )
    parts = []
    for name, vs in scenario["vs_network"].items():
        if vs["verdict"] == "tie":
            same = "; equivalent within the margin by TOST" if vs.get("equivalent") else ""
            parts.append(
                f"shows no difference from {_label(name)} ({vs['diff_mean']:+.3f}, interval [{vs['ci_low']:+.3f}, "
                f"{vs['ci_high']:+.3f}], Holm p {labels.p_value(vs['p_holm'], 'en')}{same})"
            )
        else:
            word = "beats" if vs["verdict"] == "network better" else "loses to"
            parts.append(
                f"{word} {_label(name)} by {abs(vs['diff_mean']):.3f} "
                f"([{vs['ci_low']:+.3f}, {vs['ci_high']:+.3f}], Holm p {labels.p_value(vs['p_holm'], 'en')})"
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


def figure(summary: dict[str, Any], language: str = "en", title: bool = True) -> Figure:
    """Ratio per model per family, with its 95 % interval; the oracle at 1. The report's has a title; the
    thesis's (`thesis_files`) has none, its caption being the thesis's."""
    scenarios = summary["scenarios"]
    families = list(scenarios)
    names = list(next(iter(scenarios.values()))["models"])
    fig, ax = figures.axes(max(6.0, 1.6 * len(families)), 4.0)
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        x = np.arange(len(families)) + (i - (len(names) - 1) / 2) * width
        mean = np.array([scenarios[f]["models"][name]["ratio_mean"] for f in families])
        low = np.array([scenarios[f]["models"][name]["ratio_ci_low"] for f in families])
        high = np.array([scenarios[f]["models"][name]["ratio_ci_high"] for f in families])
        ax.errorbar(x, mean, yerr=[mean - low, high - mean], fmt="o", capsize=3, label=labels.model(name, language))
    ax.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xticks(np.arange(len(families)), families)
    ax.set_ylabel(labels.text("study_ratio_axis", language))
    if title:
        ax.set_title("Simulation study: expected MAE ratio per family (mean, t 95 % interval)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def figure_png(summary: dict[str, Any]) -> bytes:
    """reports/figures/study_ratio.png: `figure`, rendered byte-stably (figures.png)."""
    drawn = figure(summary)
    try:
        return figures.png(drawn)
    finally:
        figures.close(drawn)


def thesis_files(summary: dict[str, Any], language: str, study_md5: str) -> dict[str, bytes | str]:
    """reports/thesis-study/: the study's tables (the ratios, then the paired tests) as study.tex and its figure
    as study_ratio.pdf and .png, in `language`, their provenance the md5 of metrics/study.json. The study's own
    folder: reports/thesis/ is the main pipeline's."""
    provenance = thesis.provenance({paths.STUDY.as_posix(): study_md5}, {"report.language": language})
    caption = labels.text("fig_study_ratio", language)
    drawn = figure(summary, language, title=False)
    try:
        made: dict[str, bytes | str] = {
            "study_ratio.pdf": figures.pdf(drawn, caption, provenance),
            "study_ratio.png": figures.png(drawn, caption, provenance, dpi=thesis.PNG_DPI),
        }
    finally:
        figures.close(drawn)
    made["study.tex"] = (
        tables.study_ratios(summary, language, provenance) + "\n" + tables.study_tests(summary, language, [])
    )
    made["figures.tex"] = "".join(f"% {line}\n" for line in provenance) + thesis.figure_environment(
        "study_ratio", caption
    )
    return made
