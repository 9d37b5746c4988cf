"""The one-page report: its figures as PNG bytes and a self-contained HTML page.

The page is in English, and so are its figures (`figures`, the thesis's set, drawn in LANGUAGE);
report.language chooses the thesis's language only. `figure_set` and `page` take what the report stage
read (`inputs.ReportInputs`); nothing here reads or writes files.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from matplotlib.figure import Figure

from hhforecast.core.config import MonitorParams, built_from_exports
from hhforecast.evaluation import results
from hhforecast.reporting import figures
from hhforecast.reporting.inputs import ReportInputs
from hhforecast.reporting.labels import text

LANGUAGE = "en"  # the page's; its figures' labels and captions follow it


def figure_set(read: ReportInputs, monitor: MonitorParams) -> dict[str, tuple[bytes, str]]:
    """The page's figures, by file name (reports/figures/<name>.png): PNG bytes and caption."""
    drawn: dict[str, Figure] = {
        "predicted_vs_actual": figures.predicted_vs_actual(read.test, read.production, LANGUAGE),
        "residuals": figures.residuals(read.test, read.production, LANGUAGE),
        "backtest": figures.backtest_folds(read.folds, LANGUAGE),
        "training_curve": figures.training_curve(
            read.train_loss,
            read.val_loss,
            LANGUAGE,
            best_epoch=read.metadata["best_epoch"],
            members=len(read.metadata.get("members", [None])),
        ),
        "drift": figures.drift_psi(read.drift, monitor.psi_warn, monitor.psi_alert, LANGUAGE),
        "monitoring": figures.monitoring_windows(
            read.monitor_weekly, read.monitor["performance"]["validation_mae"], LANGUAGE
        ),
    }
    rendered = {}
    for name, figure in drawn.items():
        caption = text(f"fig_{name}", LANGUAGE)
        rendered[name] = (figures.png(figure, caption), caption)
        figures.close(figure)
    return rendered


def page(read: ReportInputs, rendered: dict[str, tuple[bytes, str]]) -> str:
    """The whole report as one HTML string, with the figures `figure_set` rendered."""
    fleet = {"min": float(read.dataset["acft"].min()), "max": float(read.dataset["acft"].max())}
    return render_html(rendered, read.quality, read.evaluation, read.monitor, {**read.metadata, "fleet": fleet})


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return html.escape("" if value is None else str(value))


def _img(name: str, data: bytes, caption: str) -> str:
    encoded = base64.b64encode(data).decode()
    return (
        f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{encoded}">'
        f"<figcaption>{html.escape(caption)} <code>reports/figures/{name}.png</code></figcaption></figure>"
    )


def fitted_weeks(windows: dict[str, list[str]]) -> str:
    """Which weeks the served model learned from, and which the test metrics come from."""
    split = (
        f"training {windows['train'][0]} to {windows['train'][1]}, validation {windows['val'][0]} to "
        f"{windows['val'][1]}, test {windows['test'][0]} to {windows['test'][1]}"
    )
    if "fitted" not in windows:  # a bundle from before the production refit
        return split
    return (
        f"served model refit on every week {windows['fitted'][0]} to {windows['fitted'][1]}; the test metrics "
        f"are a fit on training + validation that never saw the test weeks ({split})"
    )


def model_description(train: dict[str, Any]) -> str:
    """The network in one line, from the params its metadata recorded (older bundles: the MLP)."""
    size = f"{train['layers']}×{train['units']}"
    members = f"average of {train.get('ensemble', 1)} networks"
    if train.get("architecture", "mlp") == "hybrid":
        terms = " + ".join(train["hybrid"]["skip_terms"])
        return (
            f"hybrid Keras network: a least-squares skip in {terms}, times exp of an MLP correction ({size}) on "
            f"inputs clipped to the training range; {members}"
        )
    linear = train.get("mlp", {}).get("linear_skip", train.get("linear_skip", False))
    return f"Keras MLP ({size}, linear path: {linear}), {members}, with input standardization inside"


def _dataset_glance(quality: dict[str, Any], metadata: dict[str, Any]) -> str:
    """The weeks and the fleet; then, for a dataset built from exports, the rows read, kept and rejected, and for
    a dataset brought in whole (data.source: dataset), one line saying that no raw rows were read."""
    weeks = f"{quality['weeks']} weeks from {quality['first_week']} to {quality['last_week']}"
    fleet = f"Fleet in the data: {metadata['fleet']['min']:.0f} to {metadata['fleet']['max']:.0f} aircraft a week."
    if not built_from_exports(quality):
        return (
            f"<p>{weeks}; {quality['missing_weeks']} missing weeks. {fleet}</p>\n<p>The weekly dataset came whole "
            f"from <code>{html.escape(str(quality.get('dataset_path', '')))}</code> (data.source: dataset): no raw "
            "rows were read, so none were rejected.</p>"
        )
    rows = quality["rows"]
    rejects = [
        {"table": table, "reason": reason, "rows": n}
        for table, reasons in rows["rejected_by_reason"].items()
        for reason, n in reasons.items()
    ]
    return (
        f"<p>{weeks}; {rows['events_kept']:,} event rows kept\nof {rows['events_read']:,} read; "
        f"{rows['utilization_kept']:,} aircraft-days of utilization; {quality['missing_weeks']} missing weeks.\n"
        f"{fleet}</p>\n{_table(rejects, ['table', 'reason', 'rows'])}"
    )


def render_html(
    figures: dict[str, tuple[bytes, str]],
    quality: dict[str, Any],
    evaluation: dict[str, Any],
    monitor: dict[str, Any],
    metadata: dict[str, Any],
) -> str:
    """The whole report as one HTML string; figures are embedded, so the file stands alone."""
    glance = _dataset_glance(quality, metadata)
    test = evaluation["test"]
    windows = metadata["windows"]
    perf = monitor["performance"]
    drift_rows = [{"feature": f, **d} for f, d in monitor["drift"].items()]
    verdict = monitor["status"].replace("_", " ")
    reasons = "".join(f"<li>{html.escape(r)}</li>" for r in monitor["reasons"] + monitor["warnings"]) or "<li>none</li>"
    fig = {name: _img(name, data, caption) for name, (data, caption) in figures.items()}
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hh-forecast report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1080px; margin: 2em auto; padding: 0 1em; color: #222; }}
h1 {{ margin-bottom: 0.2em; }} h2 {{ border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.6em; }}
table {{ border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }} th {{ background: #f3f5f8; }}
td:first-child, th:first-child {{ text-align: left; }} .card td {{ text-align: left; }}
figure {{ margin: 0.8em 0; }} img {{ max-width: 100%; }} figcaption {{ color: #666; font-size: 0.85em; }}
.grid {{ display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }}
.verdict {{ font-weight: bold; color: {"#c0392b" if monitor["retrain_recommended"] else "#1e7b34"}; }}
</style></head><body>
<h1>hh-forecast report</h1>
<p>Weekly man-hours of unscheduled maintenance (pilot and cabin reports) forecast from fleet utilization.</p>

<h2>The dataset at a glance</h2>
{glance}

<h2>Forecast vs actual</h2>
{fig["predicted_vs_actual"]}
{fig["residuals"]}

<h2>Against baselines{" and the oracle" if results.has_truth(evaluation) else ""} (test window, {test["n_weeks"]} weeks; backtest, {evaluation["backtest"].get("weeks", "?")} weeks)</h2>
{results.as_html(results.model_table(evaluation))}
{results.as_html(results.interval_table(evaluation))}
<ul>{"".join(f"<li>{html.escape(s)}</li>" for s in results.sentences(evaluation))}</ul>
<div class="grid">{fig["backtest"]}{fig["training_curve"]}</div>

<h2>Monitoring the production period</h2>
<p>Verdict: <span class="verdict">{html.escape(verdict)}</span></p><ul>{reasons}</ul>
{fig["monitoring"]}
<p>MAE over the production period {perf["mae"] or 0:.1f} (validation {perf["validation_mae"]:.1f});
coverage 80 %: {perf["coverage_80"] or 0:.2f}, 95 %: {perf["coverage_95"] or 0:.2f}.</p>
<div class="grid">{fig["drift"]}<div>{_table(drift_rows, ["feature", "psi", "ks_pvalue", "mean_shift_sd", "std_ratio", "status"])}</div></div>

<h2>Simulation study</h2>
<p>Does a network beat simple models over many worlds, not one draw? The study is a pipeline of its own
(<code>make study</code>, <code>study/dvc.yaml</code>: scenario families &times; worlds, about half an hour), so this
report does not wait for it: its table and sentences are in <a href="study.md">study.md</a>, its figure (expected MAE
ratio per model and family, with 95 % intervals) is <a href="figures/study_ratio.png">figures/study_ratio.png</a>, and its numbers
are in <code>metrics/study.json</code>, beside this file.</p>

<h2>Model card</h2>
<table class="card"><tbody>
<tr><td>Intended use</td><td>Planning the weekly man-hours for unscheduled (pilot and cabin reported) defects a few weeks to months ahead, from a planned flying programme. Not for individual defects, scheduled checks, or fleets unlike the training data.</td></tr>
<tr><td>Model</td><td>{model_description(metadata["params"]["train"])}; split-conformal 80 %/95 % ranges scaled by √forecast, calibrated on weeks the calibrating fit never saw</td></tr>
<tr><td>Features</td><td>{", ".join(metadata["features"])}</td></tr>
<tr><td>Training window</td><td>{fitted_weeks(windows)}</td></tr>
<tr><td>Metrics</td><td>test MAE {test["mae"]:.1f}, WAPE {test["wape"]:.1f} %, R² {test["r2"]:.2f}; backtest MAE {evaluation["backtest"]["mae_mean"]:.1f} ± {evaluation["backtest"]["mae_std"]:.1f} (mean ± SD over folds)</td></tr>
<tr><td>Data</td><td>dataset md5 {metadata["dataset"]["md5"]}</td></tr>
<tr><td>Limits</td><td>Weekly totals only; a change in fleet make-up (e.g. older aircraft joining) or in reporting practice moves the error, which monitoring watches. Forecasts for weeks outside the training range are flagged as extrapolation. Ranges assume future errors resemble the validation window's.</td></tr>
</tbody></table>
</body></html>
"""
