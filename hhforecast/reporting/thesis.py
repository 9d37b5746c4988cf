"""Figures and tables for the thesis text, in Portuguese or English: vector PDF (and PNG) figures,
LaTeX tables (booktabs), each file carrying its provenance.

Every function takes frames or metric dicts and returns a figure, bytes or text; nothing here
reads or writes files. Tables read the metrics generically (whatever models, keys and columns
they hold), so a new model or a new key shows up without a change here. Output is byte-stable:
PDFs carry no creation date, PNGs no software stamp, and the provenance is made of input
hashes and params, never of the time.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hhforecast.reporting import report  # noqa: E402  (its colours and rcParams, incl. svg.hashsalt)

LANGUAGES = ("pt", "en")

# One place for every label and caption: key -> (Portuguese, English).
TEXT: dict[str, tuple[str, str]] = {
    "hh_week": ("HH por semana", "HH per week"),
    "flight_hours_week": ("horas de voo por semana", "flight hours per week"),
    "date": ("semana", "week"),
    "sum_daily_hours": ("horas de voo da frota na semana", "fleet flight hours in the week"),
    "Cycles": ("ciclos da frota na semana", "fleet cycles in the week"),
    "age_fleet": ("idade média da frota (anos)", "mean fleet age (years)"),
    "acft": ("aeronaves que voaram na semana", "aircraft that flew in the week"),
    "sum_uti_mensal": ("horas de voo em 28 dias", "flight hours in 28 days"),
    "HH": ("HH", "HH"),
    "rows": ("linhas", "rows"),
    "table": ("tabela", "table"),
    "reason": ("motivo", "reason"),
    "events": ("eventos", "events"),
    "utilization": ("utilização", "utilization"),
    "forecast": ("previsão (faixas: 80 %, 95 %)", "forecast (bands: 80 %, 95 %)"),
    "actual": ("real", "actual"),
    "test_window": ("janela de teste", "test window"),
    "production": ("período de produção", "production period"),
    "residual": ("real − previsão (HH)", "actual − forecast (HH)"),
    "fold": ("dobra", "fold"),
    "mae_hh": ("MAE (HH)", "MAE (HH)"),
    "model": ("modelo", "model"),
    "network": ("rede neural (Keras)", "neural network (Keras)"),
    "oracle": ("oráculo (HH esperado)", "oracle (expected HH)"),
    "statistic": ("estatística", "statistic"),
    "mean": ("média", "mean"),
    "sd": ("desvio-padrão", "std. dev."),
    "min": ("mínimo", "min"),
    "max": ("máximo", "max"),
    "variable": ("variável", "variable"),
    "scenario": ("cenário", "scenario"),
    "baseline": ("referência", "baseline"),
    "epoch": ("época", "epoch"),
    "loss": ("perda (HH)", "loss (HH)"),
    "training": ("treino", "training"),
    "validation": ("validação", "validation"),
    "fig_weekly_series": (
        "Série semanal de HH de manutenção não programada e horas de voo da frota.",
        "Weekly unscheduled-maintenance HH and fleet flight hours.",
    ),
    "fig_hh_vs_features": (
        "HH semanal contra horas de voo, ciclos e idade média da frota.",
        "Weekly HH against flight hours, cycles and mean fleet age.",
    ),
    "fig_rejects": ("Linhas rejeitadas por motivo (escala logarítmica).", "Rejected rows by reason (log scale)."),
    "fig_predicted_vs_actual": (
        "HH semanal real e previsto, com intervalos de 80 % e 95 %, na janela de teste e no período de produção.",
        "Actual and forecast weekly HH, with 80 % and 95 % intervals, over the test window and the production period.",
    ),
    "fig_residuals": (
        "Resíduos (real − previsão) na janela de teste e no período de produção.",
        "Residuals (actual − forecast) over the test window and the production period.",
    ),
    "fig_backtest": (
        "MAE por dobra do backtest com origem móvel (semanas antes da janela de teste).",
        "MAE per fold of the rolling-origin backtest (weeks before the test window).",
    ),
    "fig_training_curve": (
        "Curva de treino: perda por época no treino e na validação.",
        "Training curve: loss per epoch on the training and validation windows.",
    ),
    "tab_dataset_summary": (
        "Resumo do conjunto de dados semanal ({weeks} semanas, {first} a {last}).",
        "Summary of the weekly dataset ({weeks} weeks, {first} to {last}).",
    ),
    "tab_rejects": (
        "Linhas rejeitadas por motivo; nenhuma linha é descartada em silêncio.",
        "Rejected rows by reason; no row is dropped silently.",
    ),
    "tab_model_comparison": (
        "Comparação dos modelos na janela de teste ({n} semanas).",
        "Model comparison on the test window ({n} weeks).",
    ),
    "tab_model_summary": ("Indicadores resumidos da avaliação.", "Summary figures of the evaluation."),
    "tab_dm": (
        "Testes de Diebold–Mariano: rede contra cada referência no backtest.",
        "Diebold–Mariano tests: the network against each baseline over the backtest.",
    ),
    "tab_backtest": ("Backtest com origem móvel: resultados por dobra.", "Rolling-origin backtest: results per fold."),
    "tab_study": (
        "Estudo de simulação: razão do MAE ao oráculo (média e IC) e cobertura de 80 % por cenário.",
        "Simulation study: MAE ratio to the oracle (mean and CI) and 80 % coverage per scenario.",
    ),
}


def text(key: str, language: str) -> str:
    """The label or caption `key` in `language` ("pt" or "en"); an unknown key is shown as is."""
    if language not in LANGUAGES:
        raise ValueError(f"report.language must be one of {LANGUAGES}, got {language!r}")
    pair = TEXT.get(key)
    return key if pair is None else pair[LANGUAGES.index(language)]


# --- provenance -------------------------------------------------------------------------------


def provenance(inputs: dict[str, str], params: dict[str, object]) -> list[str]:
    """Lines naming every input with its hash and every param used, sorted, so equal inputs give equal lines."""
    lines = ["generated by hh-forecast's pipeline (dvc.yaml, study/dvc.yaml)"]
    lines += [f"input {path} md5 {digest}" for path, digest in sorted(inputs.items())]
    lines += [f"param {key} = {value}" for key, value in sorted(params.items())]
    return lines


def input_hashes(lock: dict, paths: list[str]) -> dict[str, str]:
    """md5 of each path as dvc.lock records it among the stages' outputs (paths it lacks are left out)."""
    recorded = {
        out["path"]: out.get("md5", "")
        for stage in lock.get("stages", {}).values()
        for out in stage.get("outs", [])
        if isinstance(out, dict) and "path" in out
    }
    return {path: recorded[path] for path in paths if path in recorded}


# --- figures ------------------------------------------------------------------------------------


def pdf(figure: plt.Figure, title: str, lines: list[str]) -> bytes:
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


def png(figure: plt.Figure, title: str, lines: list[str]) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format="png",
        bbox_inches="tight",
        dpi=150,
        metadata={"Software": None, "Title": title, "Description": "; ".join(lines)},
    )
    return buffer.getvalue()


def weekly_series(dataset: pd.DataFrame, language: str) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(7, 3))
    dates = pd.to_datetime(dataset["date"])
    ax.plot(dates, dataset["HH"], color=report.BLUE, linewidth=1)
    ax.set_ylabel(text("hh_week", language), color=report.BLUE)
    other = ax.twinx()
    other.plot(dates, dataset["sum_daily_hours"], color=report.ORANGE, linewidth=0.8, alpha=0.8)
    other.set_ylabel(text("flight_hours_week", language), color=report.ORANGE)
    other.spines["right"].set_visible(True)
    ax.set_xlabel(text("date", language))
    return fig


def hh_vs_features(dataset: pd.DataFrame, language: str) -> plt.Figure:
    columns = ["sum_daily_hours", "Cycles", "age_fleet"]
    fig, axes = plt.subplots(1, len(columns), figsize=(9, 2.8), sharey=True)
    for ax, column in zip(axes, columns):
        ax.scatter(dataset[column], dataset["HH"], s=5, color=report.BLUE, alpha=0.6, linewidths=0)
        ax.set_xlabel(text(column, language))
    axes[0].set_ylabel(text("hh_week", language))
    return fig


def rejects_by_reason(quality: dict, language: str) -> plt.Figure:
    rows = _reject_rows(quality)
    fig, ax = plt.subplots(figsize=(6, 0.3 * max(len(rows), 3) + 0.8))
    labels = [f"{text(table, language)}: {reason}" for table, reason, _ in rows]
    ax.barh(labels, [n for _, _, n in rows], color=report.BLUE)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel(text("rows", language))
    return fig


def predicted_vs_actual(test: pd.DataFrame, production: pd.DataFrame, language: str) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for frame, label in ((test, "test_window"), (production, "production")):
        if frame.empty:
            continue
        dates = pd.to_datetime(frame["date"])
        ax.fill_between(dates, frame["lower_95"], frame["upper_95"], color=report.BLUE, alpha=0.12, linewidth=0)
        ax.fill_between(dates, frame["lower_80"], frame["upper_80"], color=report.BLUE, alpha=0.25, linewidth=0)
        ax.plot(dates, frame["predicted"], color=report.BLUE, linewidth=1.2)
        ax.plot(dates, frame["actual"], color="black", linewidth=0.8, marker="o", markersize=1.5)
        ax.axvline(dates.iloc[0], color=report.GREY, linestyle=":", linewidth=1)
        ax.text(dates.iloc[0], ax.get_ylim()[1], f" {text(label, language)}", va="top", color=report.GREY)
    ax.plot([], [], color=report.BLUE, label=text("forecast", language))
    ax.plot([], [], color="black", marker="o", markersize=1.5, label=text("actual", language))
    ax.set_ylabel(text("hh_week", language))
    ax.legend(loc="upper left", frameon=False, fontsize=7)
    _dates(ax)
    return fig


def _dates(ax: plt.Axes) -> None:
    """A few date ticks, labelled concisely (a year once, then months)."""
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def residuals(test: pd.DataFrame, production: pd.DataFrame, language: str) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(8, 2.5))
    for frame, colour, label in ((test, report.BLUE, "test_window"), (production, report.ORANGE, "production")):
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
    _dates(ax)
    return fig


def backtest_folds(folds: pd.DataFrame, language: str) -> plt.Figure:
    """MAE per fold for every `mae*` column the backtest has (the network's and each baseline's)."""
    columns = [c for c in folds.columns if c == "mae" or c.startswith("mae_")]
    fig, ax = plt.subplots(figsize=(6, 3))
    width = 0.8 / max(len(columns), 1)
    colours = [report.BLUE, report.ORANGE, report.GREY, "#bbbbbb", "#6a9f58", "#9b59b6", "#34495e"]
    for i, column in enumerate(columns):
        label = text("network", language) if column == "mae" else column.removeprefix("mae_")
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


def training_curve(train_loss: pd.DataFrame, val_loss: pd.DataFrame, language: str) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(train_loss["step"] + 1, train_loss["loss"], color=report.BLUE, label=text("training", language))
    ax.plot(val_loss["step"] + 1, val_loss["loss"], color=report.ORANGE, label=text("validation", language))
    ax.set_xlabel(text("epoch", language))
    ax.set_ylabel(text("loss", language))
    ax.legend(frameon=False)
    return fig


def figure_environment(name: str, caption: str) -> str:
    """A LaTeX figure environment that includes reports/thesis/<name>.pdf."""
    return (
        f"\\begin{{figure}}[htbp]\n  \\centering\n  \\includegraphics[width=\\linewidth]{{{name}.pdf}}\n"
        f"  \\caption{{{latex_escape(caption)}}}\n  \\label{{fig:{name}}}\n\\end{{figure}}\n"
    )


# --- tables -------------------------------------------------------------------------------------

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(value: object) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(value))


def number(value: object, language: str) -> str:
    """A number for a table cell: 4 significant digits below 10, 2 decimals above; a decimal comma in
    Portuguese ({,} keeps LaTeX from spacing it); anything else escaped as text."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else latex_escape(value)
    if isinstance(value, int | np.integer):
        formatted = f"{int(value):,}".replace(",", "\\," if language == "pt" else ",")
        return formatted
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return "--"
        formatted = f"{value:.4g}" if abs(value) < 10 else f"{value:,.2f}"
        if "e" in formatted:
            formatted = f"{value:.2e}"
        if language == "pt":
            formatted = formatted.replace(",", "\\,").replace(".", "{,}")
        return formatted
    return latex_escape(value)


def table(
    header: list[str], rows: list[list[object]], caption: str, label: str, language: str, lines: list[str]
) -> str:
    """A booktabs table in a table environment, the provenance as % comments above it."""
    align = "l" + "r" * (len(header) - 1)
    head = " & ".join(latex_escape(h) for h in header)
    body = "".join(
        "    " + " & ".join(number(v, language) if i else latex_escape(v) for i, v in enumerate(row)) + " \\\\\n"
        for row in rows
    )
    comments = "".join(f"% {line}\n" for line in lines)
    return (
        f"{comments}\\begin{{table}}[htbp]\n  \\centering\n  \\caption{{{latex_escape(caption)}}}\n"
        f"  \\label{{tab:{label}}}\n  \\begin{{tabular}}{{{align}}}\n    \\toprule\n    {head} \\\\\n"
        f"    \\midrule\n{body}    \\bottomrule\n  \\end{{tabular}}\n\\end{{table}}\n"
    )


def dataset_summary(dataset: pd.DataFrame, language: str, lines: list[str]) -> str:
    columns = ["HH", "sum_daily_hours", "Cycles", "age_fleet", "acft", "sum_uti_mensal"]
    rows = [
        [
            text(c, language),
            float(dataset[c].mean()),
            float(dataset[c].std()),
            float(dataset[c].min()),
            float(dataset[c].max()),
        ]
        for c in columns
        if c in dataset
    ]
    dates = pd.to_datetime(dataset["date"])
    caption = text("tab_dataset_summary", language).format(
        weeks=len(dataset), first=dates.min().strftime("%Y-%m-%d"), last=dates.max().strftime("%Y-%m-%d")
    )
    header = [text(k, language) for k in ("variable", "mean", "sd", "min", "max")]
    return table(header, rows, caption, "dataset_summary", language, lines)


def _reject_rows(quality: dict) -> list[tuple[str, str, int]]:
    by_reason = quality["rows"]["rejected_by_reason"]
    return [
        (table_name, reason, int(n))
        for table_name, reasons in sorted(by_reason.items())
        for reason, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    ]


def rejects_table(quality: dict, language: str, lines: list[str]) -> str:
    rows = [[text(t, language), reason, n] for t, reason, n in _reject_rows(quality)]
    header = [text(k, language) for k in ("table", "reason", "rows")]
    return table(header, rows, text("tab_rejects", language), "rejects_by_reason", language, lines)


def _numeric(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def model_scores(evaluation: dict) -> dict[str, dict[str, float]]:
    """Every model's numeric test scores, whatever the layout: a `models` mapping when there is one,
    else the network (`test`), each of `baselines`, and the `oracle`; then every top-level mapping
    from model names to numbers (e.g. `expected_mae_ratio.<model>`) becomes one more column."""
    if isinstance(evaluation.get("models"), dict):
        models = {name: dict(scores) for name, scores in evaluation["models"].items() if isinstance(scores, dict)}
    else:
        models = {"network": dict(evaluation.get("test", {}))}
        models.update({name: dict(s) for name, s in (evaluation.get("baselines") or {}).items() if isinstance(s, dict)})
        if isinstance(evaluation.get("oracle"), dict):
            models["oracle"] = dict(evaluation["oracle"])
    aliases = {"network": {"network", "model", "keras", "mlp"}}
    for key, value in evaluation.items():
        if key in ("models", "test", "baselines", "oracle", "backtest") or not isinstance(value, dict):
            continue
        for name in models:
            for candidate in aliases.get(name, {name}):
                if _numeric(value.get(candidate)):
                    models[name][key] = value[candidate]
    return {name: {k: v for k, v in scores.items() if _numeric(v)} for name, scores in models.items()}


# Columns in this order when present; any other key follows, in the order the metrics give it.
FIRST_COLUMNS = ["mae", "rmse", "mape", "wape", "r2", "coverage_80", "coverage_95"]


def model_comparison(evaluation: dict, language: str, lines: list[str]) -> str:
    models = model_scores(evaluation)
    keys: list[str] = []
    for scores in models.values():
        keys += [k for k in scores if k not in keys and k != "n_weeks"]
    keys.sort(key=lambda k: FIRST_COLUMNS.index(k) if k in FIRST_COLUMNS else len(FIRST_COLUMNS))
    rows = [
        [text(name, language) if name in ("network", "oracle") else name] + [scores.get(k, math.nan) for k in keys]
        for name, scores in models.items()
    ]
    n_weeks = evaluation.get("test", {}).get("n_weeks", "")
    caption = text("tab_model_comparison", language).format(n=n_weeks)
    return table([text("model", language)] + keys, rows, caption, "model_comparison", language, lines)


def evaluation_summary(evaluation: dict, language: str, lines: list[str]) -> str:
    """Every scalar of eval.json outside the per-model scores (skill, ratio to the oracle, backtest means)."""
    flat: list[list[object]] = []

    def walk(tree: dict, prefix: str) -> None:
        for key, value in tree.items():
            dotted = f"{prefix}{key}"
            if dotted in ("test", "baselines", "oracle", "models") or dotted.startswith("backtest.dm"):
                continue
            if isinstance(value, dict):
                if not prefix and all(_numeric(v) for v in value.values()) and key != "backtest":
                    continue  # a per-model mapping: a column of the model comparison
                walk(value, f"{dotted}.")
            elif _numeric(value):
                flat.append([dotted, value])

    walk(evaluation, "")
    return table(
        [text("statistic", language), ""],
        flat,
        text("tab_model_summary", language),
        "evaluation_summary",
        language,
        lines,
    )


def diebold_mariano(evaluation: dict, language: str, lines: list[str]) -> str | None:
    """`backtest.dm.<baseline>.{...}` as a table, when the evaluation has it."""
    tests = (evaluation.get("backtest") or {}).get("dm")
    if not isinstance(tests, dict) or not tests:
        return None
    keys: list[str] = []
    for values in tests.values():
        keys += [k for k in values if k not in keys]
    rows = [[name] + [values.get(k, math.nan) for k in keys] for name, values in tests.items()]
    return table(
        [text("baseline", language)] + keys, rows, text("tab_dm", language), "diebold_mariano", language, lines
    )


def backtest_table(folds: pd.DataFrame, language: str, lines: list[str]) -> str:
    rows = [[str(row[0])] + [_cell(v) for v in row[1:]] for row in folds.itertuples(index=False)]
    header = [text("fold", language) if c == "fold" else c for c in folds.columns]
    return table(header, rows, text("tab_backtest", language), "backtest", language, lines)


def _cell(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def study_table(study: dict, language: str, lines: list[str]) -> str:
    """`scenarios.<family>.models.<model>.{...}` of metrics/study.json, one row per scenario and model."""
    keys: list[str] = []
    rows: list[list[object]] = []
    for family, scenario in sorted((study.get("scenarios") or {}).items()):
        for model_name, values in sorted((scenario.get("models") or {}).items()):
            numeric = {k: v for k, v in values.items() if _numeric(v)}
            keys += [k for k in numeric if k not in keys]
            rows.append([family, model_name, numeric])
    body = [[family, model_name] + [values.get(k, math.nan) for k in keys] for family, model_name, values in rows]
    header = [text("scenario", language), text("model", language)] + keys
    align_fix = table(header, body, text("tab_study", language), "study", language, lines)
    # the model column is text too: left-align it
    return align_fix.replace("\\begin{tabular}{lr", "\\begin{tabular}{ll", 1)
