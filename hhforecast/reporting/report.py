"""The one-page report: figures (PNG, also for the thesis text) and a self-contained HTML page.

Figure functions take frames and return matplotlib figures; `render_html` takes
the figures' PNG bytes and the metric dicts. Nothing here reads or writes files.
"""

from __future__ import annotations

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")  # no display: figures are rendered to PNG bytes
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from hhforecast.evaluation import results  # noqa: E402

BLUE, ORANGE, GREY, RED = "#1f5fa8", "#e07b1a", "#8c8c8c", "#c0392b"
plt.rcParams.update(
    {
        "figure.dpi": 100,
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "hh-forecast",
    }
)


def png(figure: plt.Figure) -> bytes:
    """PNG bytes without a software/version stamp, so the same data give the same file."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def predicted_vs_actual(test: pd.DataFrame, production: pd.DataFrame) -> plt.Figure:
    """Test and production weeks: actual HH, forecast, and the 80 %/95 % ranges."""
    fig, ax = plt.subplots(figsize=(10, 3.8))
    for frame, label in ((test, "test window"), (production, "production period")):
        if frame.empty:
            continue
        dates = pd.to_datetime(frame["date"])
        ax.fill_between(dates, frame["lower_95"], frame["upper_95"], color=BLUE, alpha=0.12, linewidth=0)
        ax.fill_between(dates, frame["lower_80"], frame["upper_80"], color=BLUE, alpha=0.25, linewidth=0)
        ax.plot(dates, frame["predicted"], color=BLUE, linewidth=1.4)
        ax.plot(dates, frame["actual"], color="black", linewidth=1.0, marker="o", markersize=2)
        ax.axvline(dates.iloc[0], color=GREY, linestyle=":", linewidth=1)
        ax.text(dates.iloc[0], ax.get_ylim()[1], f" {label}", va="top", color=GREY)
    ax.plot([], [], color=BLUE, label="forecast (bands: 80 %, 95 %)")
    ax.plot([], [], color="black", marker="o", markersize=2, label="actual")
    ax.set_ylabel("HH per week")
    ax.legend(loc="upper left", frameon=False)
    ax.set_title("Weekly unscheduled HH: forecast vs actual")
    return fig


def residuals(test: pd.DataFrame, production: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(10, 2.8))
    for frame, colour, label in ((test, BLUE, "test"), (production, ORANGE, "production")):
        if not frame.empty:
            ax.bar(
                pd.to_datetime(frame["date"]), frame["actual"] - frame["predicted"], width=5, color=colour, label=label
            )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("actual − forecast (HH)")
    ax.legend(frameon=False)
    ax.set_title("Residuals")
    return fig


def backtest_folds(folds: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6, 3))
    labels = folds["test_start"] + "\n" + folds["test_end"]
    width = 0.2
    columns = [
        ("mae", "model", BLUE),
        ("mae_linear", "linear", ORANGE),
        ("mae_gbm", "gbm", GREY),
        ("mae_seasonal_naive", "seasonal naive", "#bbbbbb"),
    ]
    for i, (column, label, colour) in enumerate(c for c in columns if c[0] in folds):
        ax.bar(
            [x + (i - 1.5) * width for x in range(len(folds))], folds[column], width=width, color=colour, label=label
        )
    ax.set_xticks(range(len(folds)), labels, fontsize=7)
    ax.set_ylabel("MAE (HH)")
    ax.legend(frameon=False, fontsize=7)
    ax.set_title("Backtest MAE per fold (weeks before the test window)")
    return fig


def training_curve(train_loss: pd.DataFrame, val_loss: pd.DataFrame, best_epoch: int, members: int = 1) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(train_loss["step"] + 1, train_loss["loss"], color=BLUE, label="training")
    ax.plot(val_loss["step"] + 1, val_loss["loss"], color=ORANGE, label="validation")
    ax.axvline(best_epoch, color=GREY, linestyle=":", label=f"best epoch ({best_epoch})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (HH)")
    ax.legend(frameon=False)
    ax.set_title("Training curve" if members == 1 else f"Training curve, network 1 of {members}")
    return fig


def drift_psi(drift: pd.DataFrame, warn: float, alert: float) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6, 3))
    colours = [RED if s == "alert" else ORANGE if s == "warn" else BLUE for s in drift["status"]]
    ax.barh(drift["feature"], drift["psi"], color=colours)
    ax.axvline(warn, color=ORANGE, linestyle="--", linewidth=1, label=f"warn {warn:g}")
    ax.axvline(alert, color=RED, linestyle="--", linewidth=1, label=f"alert {alert:g}")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("PSI, production vs reference")
    ax.legend(frameon=False, fontsize=7)
    ax.set_title("Feature drift")
    return fig


def monitoring_windows(weekly: pd.DataFrame, validation_mae: float) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(10, 3))
    dates = pd.to_datetime(weekly["date"])
    ax.bar(dates, weekly["abs_error"], width=5, color="#cfd8e6", label="weekly |error|")
    ax.plot(dates, weekly["mae_4w"], color=BLUE, label="4-week MAE")
    ax.plot(dates, weekly["mae_13w"], color=ORANGE, label="13-week MAE")
    ax.axhline(validation_mae, color=GREY, linestyle=":", label=f"validation MAE {validation_mae:.1f}")
    ax.set_ylabel("HH")
    ax.legend(frameon=False, fontsize=7, ncol=4)
    ax.set_title("Production period: error over time")
    return fig


def _table(rows: list[dict], columns: list[str]) -> str:
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


def render_html(
    figures: dict[str, tuple[bytes, str]], quality: dict, evaluation: dict, monitor: dict, metadata: dict
) -> str:
    """The whole report as one HTML string; figures are embedded, so the file stands alone."""
    rows = quality["rows"]
    rejects = [
        {"table": table, "reason": reason, "rows": n}
        for table, reasons in rows["rejected_by_reason"].items()
        for reason, n in reasons.items()
    ]
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
<p>{quality["weeks"]} weeks from {quality["first_week"]} to {quality["last_week"]}; {rows["events_kept"]:,} event rows kept
of {rows["events_read"]:,} read; {rows["utilization_kept"]:,} aircraft-days of utilization; {quality["missing_weeks"]} missing weeks.
Fleet in the data: {metadata["fleet"]["min"]:.0f} to {metadata["fleet"]["max"]:.0f} aircraft a week.</p>
{_table(rejects, ["table", "reason", "rows"])}

<h2>Forecast vs actual</h2>
{fig["predicted_vs_actual"]}
{fig["residuals"]}

<h2>Against baselines and the oracle (test window, {test["n_weeks"]} weeks; backtest, {evaluation["backtest"].get("weeks", "?")} weeks)</h2>
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
<tr><td>Model</td><td>Keras MLP ({metadata["params"]["train"]["layers"]}×{metadata["params"]["train"]["units"]}, linear path: {metadata["params"]["train"].get("linear_skip", False)}), average of {metadata["params"]["train"].get("ensemble", 1)} networks, with input standardization inside; split-conformal 80 %/95 % ranges scaled by √forecast</td></tr>
<tr><td>Features</td><td>{", ".join(metadata["features"])}</td></tr>
<tr><td>Training window</td><td>{windows["train"][0]} to {windows["train"][1]}; validation {windows["val"][0]} to {windows["val"][1]}; test {windows["test"][0]} to {windows["test"][1]}</td></tr>
<tr><td>Metrics</td><td>test MAE {test["mae"]:.1f}, WAPE {test["wape"]:.1f} %, R² {test["r2"]:.2f}; backtest MAE {evaluation["backtest"]["mae_mean"]:.1f} ± {evaluation["backtest"]["mae_std"]:.1f} (mean ± SD over folds)</td></tr>
<tr><td>Data</td><td>dataset md5 {metadata["dataset"]["md5"]}</td></tr>
<tr><td>Limits</td><td>Weekly totals only; a change in fleet make-up (e.g. older aircraft joining) or in reporting practice moves the error, which monitoring watches. Forecasts for weeks outside the training range are flagged as extrapolation. Ranges assume future errors resemble the validation window's.</td></tr>
</tbody></table>
</body></html>
"""
