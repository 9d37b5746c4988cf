"""The one figure set of the HTML report and the thesis: every figure with its labels in a report language,
and the byte-stable PNG and PDF renderings.

Figure functions take frames and return matplotlib figures with no title (the HTML page and the LaTeX
text give each its caption, `labels.text("fig_<name>", language)`); `png` and `pdf` render a figure to
bytes with no date or software stamp, so the same data give the same file. The caller closes a figure
(it may be rendered in both formats). Nothing here reads or writes files.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: figures are rendered to bytes
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullLocator  # noqa: E402

from hhforecast.reporting.labels import decimal, model, month, reason, text  # noqa: E402

BLUE, ORANGE, GREY, RED = "#1f5fa8", "#e07b1a", "#8c8c8c", "#c0392b"
MORE_COLOURS = ["#bbbbbb", "#6a9f58", "#9b59b6", "#34495e"]  # after BLUE, ORANGE, GREY: one per extra model
plt.rcParams.update(
    {
        "figure.dpi": 100,
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "hh-forecast",
    }
)


def axes(width: float, height: float) -> tuple[Figure, Axes]:
    """A new figure of `width` x `height` inches with one axes, in this set's style (the rcParams above): for
    figures drawn outside this module (the simulation study's)."""
    figure, ax = plt.subplots(figsize=(width, height))
    return figure, ax


def png(figure: Figure, title: str | None = None, lines: Sequence[str] = (), dpi: float | None = None) -> bytes:
    """PNG bytes without a software stamp; the caption as its title and the provenance as its description,
    when given; `dpi` None is the figure's own (figure.dpi)."""
    metadata: dict[str, str | None] = {"Software": None}
    if title is not None:
        metadata["Title"] = title
    if lines:
        metadata["Description"] = "; ".join(lines)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", dpi=dpi, metadata=metadata)
    return buffer.getvalue()


def close(figure: Figure) -> None:
    """Free a rendered figure (pyplot keeps every figure it made until it is closed)."""
    plt.close(figure)


def pdf(figure: Figure, title: str, lines: Sequence[str]) -> bytes:
    """Vector PDF without a creation date; the caption as its title, the provenance as its subject."""
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format="pdf",
        bbox_inches="tight",
        metadata={
            "CreationDate": None,
            "ModDate": None,
            "Creator": "hh-forecast",
            "Producer": None,
            "Title": title,
            "Subject": "; ".join(lines),
        },
    )
    return buffer.getvalue()


PSI_TICKS = (0, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250)


def _dates(ax: Axes, language: str) -> None:
    """A few date ticks in `language`, whatever the machine's locale: a year where a year begins (and on the
    first tick), else the month, and the day too where ticks fall inside months."""
    locator = mdates.AutoDateLocator(maxticks=8)  # type: ignore[no-untyped-call]

    def label(value: float, position: int | None) -> str:
        day = mdates.num2date(value)  # type: ignore[no-untyped-call]
        name = month(day.month, language)
        if day.day != 1:
            return f"{day.day} {name}" + (f" {day.year}" if position == 0 else "")
        if day.month == 1:
            return str(day.year)
        return f"{name} {day.year}" if position == 0 else name

    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(FuncFormatter(label))


# --- the data ----------------------------------------------------------------------------------


def weekly_series(dataset: pd.DataFrame, language: str) -> Figure:
    """Weekly HH and the fleet's flight hours, on two axes."""
    fig, ax = plt.subplots(figsize=(7, 3))
    dates = pd.to_datetime(dataset["date"])
    ax.plot(dates, dataset["HH"], color=BLUE, linewidth=1)
    ax.set_ylabel(text("hh_week", language), color=BLUE)
    other = ax.twinx()
    other.plot(dates, dataset["sum_daily_hours"], color=ORANGE, linewidth=0.8, alpha=0.8)
    other.set_ylabel(text("flight_hours_week", language), color=ORANGE)
    other.spines["right"].set_visible(True)
    ax.set_xlabel(text("date", language))
    _dates(ax, language)
    return fig


def hh_vs_features(dataset: pd.DataFrame, language: str) -> Figure:
    """Weekly HH against flight hours, cycles and fleet age."""
    columns = ["sum_daily_hours", "Cycles", "age_fleet"]
    fig, axes = plt.subplots(1, len(columns), figsize=(9, 2.8), sharey=True)
    for ax, column in zip(axes, columns):
        ax.scatter(dataset[column], dataset["HH"], s=5, color=BLUE, alpha=0.6, linewidths=0)
        ax.set_xlabel(text(column, language))
    axes[0].set_ylabel(text("hh_week", language))
    return fig


def reject_rows(quality: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(table, reason, rows) of data_quality.json's rejected rows: tables in order, most rows first within each."""
    by_reason = quality["rows"]["rejected_by_reason"]
    return [
        (table_name, reason, int(n))
        for table_name, reasons in sorted(by_reason.items())
        for reason, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    ]


def rejects_by_reason(quality: dict[str, Any], language: str) -> Figure:
    """Rejected rows per table and reason, on a log scale."""
    rows = reject_rows(quality)
    fig, ax = plt.subplots(figsize=(6, 0.3 * max(len(rows), 3) + 0.8))
    labels = [f"{text(table, language)}: {reason(code, language)}" for table, code, _ in rows]
    ax.barh(labels, [n for _, _, n in rows], color=BLUE)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel(text("rows", language))
    return fig


# --- the forecasts -----------------------------------------------------------------------------


def predicted_vs_actual(test: pd.DataFrame, production: pd.DataFrame, language: str) -> Figure:
    """Test and production weeks: actual HH, forecast, and the 80 %/95 % ranges."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for frame, label in ((test, "test_window"), (production, "production")):
        if frame.empty:
            continue
        dates = pd.to_datetime(frame["date"])
        ax.fill_between(dates, frame["lower_95"], frame["upper_95"], color=BLUE, alpha=0.12, linewidth=0)
        ax.fill_between(dates, frame["lower_80"], frame["upper_80"], color=BLUE, alpha=0.25, linewidth=0)
        ax.plot(dates, frame["predicted"], color=BLUE, linewidth=1.2)
        ax.plot(dates, frame["actual"], color="black", linewidth=0.8, marker="o", markersize=1.5)
        # A date is a valid x on a date axis (matplotlib converts it); its stubs type x as float.
        ax.axvline(dates.iloc[0], color=GREY, linestyle=":", linewidth=1)  # type: ignore[arg-type]
        ax.text(dates.iloc[0], ax.get_ylim()[1], f" {text(label, language)}", va="top", color=GREY)  # type: ignore[arg-type]
    ax.plot([], [], color=BLUE, label=text("forecast", language))
    ax.plot([], [], color="black", marker="o", markersize=1.5, label=text("actual", language))
    ax.set_ylabel(text("hh_week", language))
    ax.legend(loc="upper left", frameon=False, fontsize=7)
    _dates(ax, language)
    return fig


def residuals(test: pd.DataFrame, production: pd.DataFrame, language: str) -> Figure:
    """Actual minus forecast per week, test and production in two colours."""
    fig, ax = plt.subplots(figsize=(8, 2.5))
    for frame, colour, label in ((test, BLUE, "test_window"), (production, ORANGE, "production")):
        if not frame.empty:
            ax.bar(
                pd.to_datetime(frame["date"]),
                frame["actual"] - frame["predicted"],
                width=5,
                color=colour,
                label=text(label, language),
            )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(text("residual", language))
    ax.legend(frameon=False, fontsize=7)
    _dates(ax, language)
    return fig


def backtest_folds(folds: pd.DataFrame, language: str) -> Figure:
    """MAE per fold for every `mae*` column the backtest has (the network's and each baseline's)."""
    columns = [c for c in folds.columns if c == "mae" or c.startswith("mae_")]
    fig, ax = plt.subplots(figsize=(6, 3))
    width = 0.8 / max(len(columns), 1)
    colours = [BLUE, ORANGE, GREY, *MORE_COLOURS]
    for i, column in enumerate(columns):
        label = model("network" if column == "mae" else column.removeprefix("mae_"), language)
        ax.bar(
            np.arange(len(folds)) + (i - (len(columns) - 1) / 2) * width,
            folds[column],
            width=width,
            color=colours[i % len(colours)],
            label=label,
        )
    ax.set_xticks(range(len(folds)), [str(f) for f in folds.get("fold", range(1, len(folds) + 1))])
    ax.set_xlabel(text("fold", language))
    ax.set_ylabel(text("mae_hh", language))
    ax.legend(frameon=False, fontsize=7)
    return fig


def training_curve(
    train_loss: pd.DataFrame,
    val_loss: pd.DataFrame,
    language: str,
    best_epoch: int | None = None,
    members: int = 1,
) -> Figure:
    """Loss per epoch on the training weeks and on the early-stopping weeks (the training window's last
    `train.early_stopping_weeks`); the best epoch marked when given. Of an
    ensemble of `members` networks the curves are the first's, and the legend says so."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(train_loss["step"] + 1, train_loss["loss"], color=BLUE, label=text("training", language))
    ax.plot(val_loss["step"] + 1, val_loss["loss"], color=ORANGE, label=text("validation", language))
    if best_epoch is not None:
        ax.axvline(best_epoch, color=GREY, linestyle=":", label=text("best_epoch", language).format(epoch=best_epoch))
    ax.set_xlabel(text("epoch", language))
    ax.set_ylabel(text("loss", language))
    if members > 1:
        ax.legend(frameon=False, title=text("first_of_members", language).format(members=members))
    else:
        ax.legend(frameon=False)
    return fig


# --- monitoring ----------------------------------------------------------------------------------


def drift_psi(drift: pd.DataFrame, warn: float, alert: float, language: str) -> Figure:
    """PSI per feature against the warning and alert thresholds, coloured by the feature's status."""
    fig, ax = plt.subplots(figsize=(6, 3))
    colours = [RED if s == "alert" else ORANGE if s == "warn" else BLUE for s in drift["status"]]
    ax.barh(drift["feature"], drift["psi"], color=colours)
    ax.axvline(warn, color=ORANGE, linestyle="--", linewidth=1, label=text("psi_warn", language).format(value=warn))
    ax.axvline(alert, color=RED, linestyle="--", linewidth=1, label=text("psi_alert", language).format(value=alert))
    # PSI spans 0.01 to tens: a log scale that reaches 0, with ticks a reader can name, and room for the
    # longest bar and both thresholds.
    ax.set_xscale("symlog", linthresh=0.1, linscale=0.5)
    measured = drift["psi"].to_numpy(float)
    right = 1.3 * max([alert, *measured[np.isfinite(measured)]])  # PSI is NaN before any production week
    ax.set_xlim(0, right)
    ticks = [t for t in PSI_TICKS if t <= right]
    ax.set_xticks(ticks, [decimal(f"{t:g}", language) for t in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel(text("psi_axis", language))
    ax.legend(frameon=False, fontsize=7)
    return fig


def monitoring_windows(weekly: pd.DataFrame, validation_mae: float, language: str) -> Figure:
    """The production period's weekly absolute error, its trailing 4- and 13-week MAE, and the validation MAE."""
    fig, ax = plt.subplots(figsize=(8, 3))
    dates = pd.to_datetime(weekly["date"])
    ax.bar(dates, weekly["abs_error"], width=5, color="#cfd8e6", label=text("weekly_abs_error", language))
    ax.plot(dates, weekly["mae_4w"], color=BLUE, label=text("mae_4w", language))
    ax.plot(dates, weekly["mae_13w"], color=ORANGE, label=text("mae_13w", language))
    ax.axhline(
        validation_mae,
        color=GREY,
        linestyle=":",
        label=text("validation_mae", language).format(value=validation_mae),
    )
    ax.set_ylabel(text("HH", language))
    ax.legend(frameon=False, fontsize=7, ncol=4, loc="lower left", bbox_to_anchor=(0, 1))  # above the tall weeks
    _dates(ax, language)
    return fig


def monitoring_history(history: pd.DataFrame, language: str, retrained: str, promoted: str) -> Figure:
    """Every monitoring check's 4- and 13-week MAE by the week its data reached, with the checks whose job
    retrained or promoted a model marked there: those whose `action` starts with `retrained`, `promoted`
    (the weekly job's words, ops.status.RETRAINED and PROMOTED)."""
    fig, ax = plt.subplots(figsize=(8, 3))
    checks = history.dropna(subset=["data_through"])
    dates = pd.to_datetime(checks["data_through"])
    ax.plot(dates, checks["mae_4w"], color=BLUE, marker=".", label=text("mae_4w", language))
    ax.plot(dates, checks["mae_13w"], color=ORANGE, marker=".", label=text("mae_13w", language))
    actions = checks["action"].fillna("")
    for kind, start, colour, style in (("retrain", retrained, GREY, ":"), ("promotion", promoted, RED, "--")):
        for index, date in enumerate(dates[actions.str.startswith(start)]):
            label = text(f"history_{kind}", language) if index == 0 else None
            ax.axvline(date, color=colour, linestyle=style, linewidth=1, label=label)  # type: ignore[arg-type]
    ax.set_ylabel(text("HH", language))
    ax.set_xlabel(text("history_axis", language))
    ax.legend(frameon=False, fontsize=7, ncol=4, loc="lower left", bbox_to_anchor=(0, 1))
    _dates(ax, language)
    return fig


def replay_timeline(
    weeks: pd.DataFrame,
    history: pd.DataFrame,
    withheld: dt.date,
    crash: dt.date,
    language: str,
    retrained: str,
    promoted: str,
) -> Figure:
    """A replayed year: each week's forecast (issued on its Monday) with its 80 % range against the actual HH,
    the runs that retrained or promoted, the week exported late (the one before `withheld`, the run that
    missed it) and the killed run (top); each week's expected MAE
    over the median oracle's (bottom). `history` carries each check's `run_day` and `action`."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5), sharex=True, height_ratios=[2, 1])
    dates = pd.to_datetime(weeks["date"])
    top.fill_between(dates, weeks["lower_80"], weeks["upper_80"], color=BLUE, alpha=0.15, linewidth=0)
    top.plot(dates, weeks["predicted_hh"], color=BLUE, label=text("replay_forecast", language))
    top.plot(dates, weeks["HH"], color="black", marker="o", markersize=2, linewidth=0, label=text("actual", language))
    bottom.plot(dates, weeks["expected_mae"] / weeks["oracle_mae"], color=BLUE, marker=".")
    bottom.axhline(1.0, color=GREY, linewidth=1)
    actions = history["action"].fillna("")
    for kind, start, colour, style in (("retrain", retrained, GREY, ":"), ("promotion", promoted, RED, "--")):
        chosen = pd.to_datetime(history.loc[actions.str.startswith(start), "run_day"]).drop_duplicates()
        for index, date in enumerate(chosen):
            for ax in (top, bottom):
                label = text(f"history_{kind}", language) if index == 0 and ax is top else None
                ax.axvline(date, color=colour, linestyle=style, linewidth=1, label=label)
    late = pd.Timestamp(withheld)
    top.axvspan(late - pd.Timedelta(weeks=1), late, color=ORANGE, alpha=0.25, label=text("replay_withheld", language))
    top.axvline(pd.Timestamp(crash), color=RED, linewidth=2, alpha=0.5, label=text("replay_crash", language))
    top.set_ylabel(text("hh_week", language))
    bottom.set_ylabel(text("replay_ratio", language))
    bottom.set_xlabel(text("date", language))
    top.legend(frameon=False, fontsize=7, ncol=3, loc="lower left", bbox_to_anchor=(0, 1))
    _dates(bottom, language)
    return fig
