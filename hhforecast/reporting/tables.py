"""The thesis's LaTeX tables (booktabs), in Portuguese or English, made to go into the text as they are.

Each table fits a page: wide results are laid out as several tables of at most MAX_COLUMNS columns (`table`
refuses more, which the tests would catch, and pdflatex checks the width: `make thesis-check`), and a table
longer than MAX_ROWS rows continues in the next environment. Headers are words, not metric keys.
Each quantity has one number of decimals (DECIMALS), negative numbers a true minus sign, p-values below
0.001 a bound ("< 0,001"), and Portuguese a decimal comma. Every function takes metric dicts or frames and
returns text; nothing here reads or writes files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hhforecast.evaluation import compare, results
from hhforecast.forecasting import forecasters
from hhforecast.reporting import figures
from hhforecast.reporting.labels import decimal, model, reason, text

MAX_COLUMNS = 8
MAX_ROWS = 30
MISSING = "--"
MINUS = "$-$"  # a true minus in any font, where a hyphen would print a hyphen
# Decimals per quantity, so that a column never changes its precision.
DECIMALS = {"hh": 1, "percent": 1, "ratio": 3, "coverage": 2, "p": 3, "r2": 2, "age": 2, "count": 0}
P_FLOOR = 0.001  # below it, a p-value prints as "< 0,001"

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
    "−": MINUS,
    "²": r"\textsuperscript{2}",
    "×": r"$\times$",
    "±": r"$\pm$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "|": r"\textbar{}",  # in LaTeX's default font encoding "|", "<" and ">" print as other glyphs
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "\u00a0": "\\,",  # a no-break space (as in "80 %"): a thin space that never wraps
}


def latex_escape(value: object) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(value))


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def fixed(value: float | None, quantity: str, language: str, signed: bool = False) -> str:
    """`value` with the decimals of `quantity` (DECIMALS), thousands grouped, a true minus sign, a decimal comma
    and a thin-space grouping in Portuguese; `signed` also prints a plus. None or NaN: MISSING."""
    if _missing(value):
        return MISSING
    decimals = DECIMALS[quantity]
    rounded = round(float(value), decimals)  # type: ignore[arg-type]
    digits = f"{abs(rounded):,.{decimals}f}"
    if language == "pt":
        digits = digits.replace(",", "\\,").replace(".", "{,}")
    sign = MINUS if rounded < 0 else ("+" if signed and rounded > 0 else "")
    return sign + digits


def p_text(value: float | None, language: str) -> str:
    """A p-value with 3 decimals, or "< 0,001" (a bound, never 0) below P_FLOOR."""
    if _missing(value):
        return MISSING
    if value < P_FLOOR:  # type: ignore[operator]
        return "$<$\\," + fixed(P_FLOOR, "p", language)
    return fixed(value, "p", language)


def interval(low: float | None, high: float | None, quantity: str, language: str, signed: bool = False) -> str:
    """[low, high]; in Portuguese [low; high], the comma being the decimal sign."""
    separator = "; " if language == "pt" else ", "
    return f"[{fixed(low, quantity, language, signed)}{separator}{fixed(high, quantity, language, signed)}]"


# The study writes its verdicts from the network's side ("network better"); the backtest as compare's words.
STUDY_VERDICTS = {"network better": compare.BETTER, "network worse": compare.WORSE, "tie": compare.TIE}


def verdict_text(verdict: str, language: str) -> str:
    """A verdict in words: compare's ("better", "worse", "tie") or the study's ("network better", ...)."""
    return text(f"verdict_{STUDY_VERDICTS.get(verdict, verdict)}", language)


HEADER_WIDTH = 14  # characters per line of a stacked cell (a header, a verdict): longer text wraps onto more lines


def stacked(label: str, align: str = "c") -> str:
    """`label` escaped for LaTeX, its words stacked on lines of about HEADER_WIDTH characters (aligned `align`),
    so that a column is as wide as its numbers rather than its words."""
    lines: list[str] = []
    for word in label.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= HEADER_WIDTH:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) <= 1:
        return latex_escape(label)
    # "{}" after each break: a line opening with "[" (as "[95 % CI]") would be read as the break's spacing.
    inner = " \\\\{} ".join(latex_escape(line) for line in lines)
    baseline = "b" if align == "c" else "t"  # a header sits on the rule below it; a body cell hangs from its row
    return f"\\begin{{tabular}}[{baseline}]{{@{{}}{align}@{{}}}}{inner}\\end{{tabular}}"


def header_cell(label: str) -> str:
    """A header cell: its words stacked, centred, bottom-aligned with the others."""
    return stacked(label)


def spelled(names: Sequence[str], language: str) -> str:
    """The short names of `names` spelled out, for a caption: "GLM: Poisson GLM; ..." (those that differ)."""
    pairs = [(short_name(n, language), model(n, language)) for n in names]
    return "; ".join(f"{short}: {long}" for short, long in pairs if short != long)


def parts(rows: Sequence[Sequence[str]], groups: Sequence[str] | None = None) -> list[Sequence[Sequence[str]]]:
    """`rows` in parts of at most MAX_ROWS; with `groups` (a key per row, e.g. the scenario), a part ends only
    where a group does, unless one group alone is longer than a part."""
    if groups is None:
        return [rows[i : i + MAX_ROWS] for i in range(0, len(rows), MAX_ROWS)] or [rows]
    made: list[list[Sequence[str]]] = [[]]
    start = 0
    for end in [i for i in range(1, len(rows)) if groups[i] != groups[i - 1]] + [len(rows)]:
        group = list(rows[start:end])
        if made[-1] and len(made[-1]) + len(group) > MAX_ROWS:
            made.append([])
        made[-1].extend(group)
        start = end
    return [chunk for part in made for chunk in parts(part)] if made[0] else [rows]


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    caption: str,
    label: str,
    lines: list[str],
    text_columns: int = 1,
    last_is_text: bool = False,
    compact: bool = False,
    groups: Sequence[str] | None = None,
) -> str:
    """Booktabs table environment(s): cells already formatted (LaTeX), the header escaped here, the provenance as
    % comments above. The first `text_columns` (and the last, when `last_is_text`) are left-aligned words, the
    others right-aligned numbers; `compact` sets a smaller font and narrower gaps, for the widest tables. More than
    MAX_ROWS rows continue in further tables, labelled <label>-2, ..."""
    if len(header) > MAX_COLUMNS:
        raise ValueError(f"table {label}: {len(header)} columns, more than {MAX_COLUMNS}: split it")
    numbers = len(header) - text_columns - int(last_is_text)
    align = "l" * text_columns + "r" * numbers + "l" * int(last_is_text)
    head = " & ".join(header_cell(h) for h in header)
    chunks = parts(rows, groups)
    size = "\\footnotesize\\setlength{\\tabcolsep}{4pt}" if compact else "\\small"
    out = "".join(f"% {line}\n" for line in lines)
    for number, chunk in enumerate(chunks, start=1):
        body = "".join("    " + " & ".join(row) + " \\\\\n" for row in chunk)
        suffix = "" if number == 1 else f"-{number}"
        shown = caption if len(chunks) == 1 else f"{caption} ({number}/{len(chunks)})"
        out += (
            f"\\begin{{table}}[htbp]\n  \\centering\n  {size}\n  \\caption{{{latex_escape(shown)}}}\n"
            f"  \\label{{tab:{label}{suffix}}}\n  \\begin{{tabular}}{{{align}}}\n    \\toprule\n    {head} \\\\\n"
            f"    \\midrule\n{body}    \\bottomrule\n  \\end{{tabular}}\n\\end{{table}}\n"
        )
    return out


# --- the dataset ---------------------------------------------------------------------------------

# The dataset's columns in the summary, with the quantities that set the decimals of (mean and SD, min and max):
# aircraft and cycles are whole numbers, though their mean is not.
SUMMARY_COLUMNS = {
    "HH": ("hh", "hh"),
    "sum_daily_hours": ("hh", "hh"),
    "Cycles": ("hh", "count"),
    "age_fleet": ("age", "age"),
    "acft": ("hh", "count"),
    "sum_uti_mensal": ("hh", "hh"),
}


def dataset_summary(dataset: pd.DataFrame, language: str, lines: list[str], source: str | None = None) -> str:
    """Mean, SD, min and max of the target and each feature; `source`: the file of a dataset brought in whole,
    said in the caption (None: built from the exports)."""
    rows = [
        [latex_escape(text(c, language))]
        + [fixed(float(stat), spread, language) for stat in (dataset[c].mean(), dataset[c].std())]
        + [fixed(float(stat), extreme, language) for stat in (dataset[c].min(), dataset[c].max())]
        for c, (spread, extreme) in SUMMARY_COLUMNS.items()
        if c in dataset
    ]
    dates = pd.to_datetime(dataset["date"])
    caption = text("tab_dataset_summary", language).format(
        weeks=len(dataset), first=dates.min().strftime("%Y-%m-%d"), last=dates.max().strftime("%Y-%m-%d")
    )
    if source is not None:
        caption += " " + text("own_dataset", language).format(path=source)
    header = [text(k, language) for k in ("variable", "mean", "sd", "min", "max")]
    return table(header, rows, caption, "dataset_summary", lines)


def rejects_table(quality: dict[str, Any], language: str, lines: list[str]) -> str:
    rows = [
        [latex_escape(text(t, language)), latex_escape(reason(code, language)), fixed(n, "count", language)]
        for t, code, n in figures.reject_rows(quality)
    ]
    header = [text(k, language) for k in ("table", "reason", "rows")]
    return table(header, rows, text("tab_rejects", language), "rejects_by_reason", lines, text_columns=2)


# --- the test window ---------------------------------------------------------------------------


def model_comparison(evaluation: dict[str, Any], language: str, lines: list[str]) -> str:
    """Each model's test MAE, RMSE, MAPE and R², and its expected MAE as a ratio to the median oracle's where
    there is a synthetic truth (the oracle's own row too)."""
    truth = results.has_truth(evaluation)
    expected = evaluation.get("expected_mae_ratio", {})
    rows = []
    for name in results.models_in(evaluation):
        scores = evaluation["test"] if name == forecasters.NETWORK else evaluation["baselines"][name]
        row = [
            latex_escape(short_name(name, language)),
            fixed(scores.get("mae"), "hh", language),
            fixed(scores.get("rmse"), "hh", language),
            fixed(scores.get("mape"), "percent", language),
            fixed(scores.get("r2"), "r2", language),
        ]
        rows.append(row + ([fixed(expected.get(name), "ratio", language)] if truth else []))
    if truth:
        oracle = evaluation["oracle"]
        rows.append(
            [
                latex_escape(text("short_oracle", language)),
                fixed(oracle.get("mae"), "hh", language),
                fixed(oracle.get("rmse"), "hh", language),
                MISSING,
                fixed(oracle.get("r2"), "r2", language),
                fixed(1.0, "ratio", language),
            ]
        )
    header = [text(k, language) for k in ("model", "col_mae", "col_rmse", "col_mape", "col_r2")]
    header += [text("col_expected_ratio", language)] if truth else []
    caption = text("tab_model_comparison", language).format(n=evaluation.get("test", {}).get("n_weeks", ""))
    caption += " " + spelled(results.models_in(evaluation), language) + "."
    if not truth:
        caption += " " + text("no_truth", language)
    return table(header, rows, caption, "model_comparison", lines)


def interval_table(evaluation: dict[str, Any], language: str, lines: list[str]) -> str:
    """The network's 80 % and 95 % ranges on the test window (and the oracle's exact ones, where known):
    coverage with its 95 % interval, the expected coverage, the mean width and the interval score."""
    truth = results.has_truth(evaluation)
    expected = evaluation.get("expected_intervals", {})
    rows = []
    owners = [("network", evaluation["test"])] + ([("oracle", evaluation["oracle"])] if truth else [])
    for who, scores in owners:
        for level in ("80", "95"):
            if f"coverage_{level}_ci" not in scores:
                continue
            low, high = scores[f"coverage_{level}_ci"]
            row = [
                latex_escape(text(f"short_{who}", language)),
                f"{level}\\,\\%",
                fixed(scores[f"coverage_{level}"], "coverage", language),
                interval(low, high, "coverage", language),
            ]
            row += [fixed(expected.get(who, {}).get(f"coverage_{level}"), "coverage", language)] if truth else []
            row += [
                fixed(scores[f"width_{level}"], "hh", language),
                fixed(scores[f"interval_score_{level}"], "hh", language),
            ]
            rows.append(row)
    header = [text(k, language) for k in ("col_ranges", "col_level", "col_coverage", "col_ci95")]
    header += [text("col_expected_coverage", language)] if truth else []
    header += [text(k, language) for k in ("col_width", "col_interval_score")]
    caption = text("tab_intervals", language).format(n=evaluation["test"].get("n_weeks", ""))
    return table(header, rows, caption, "intervals", lines)


def evaluation_summary(evaluation: dict[str, Any], language: str, lines: list[str]) -> str:
    """The evaluation's headline figures, one per row, named in words."""
    test, backtest = evaluation["test"], evaluation["backtest"]
    rows = [
        ("sum_test_weeks", fixed(test["n_weeks"], "count", language)),
        ("sum_test_mae", fixed(test["mae"], "hh", language)),
        ("sum_skill", fixed(100 * evaluation["skill_vs_best_baseline"], "percent", language, signed=True)),
    ]
    if results.has_truth(evaluation):
        rows += [
            ("sum_ratio_to_oracle", fixed(evaluation["mae_ratio_to_oracle"], "ratio", language)),
            ("sum_expected_ratio", fixed(evaluation["expected_mae_ratio"][forecasters.NETWORK], "ratio", language)),
        ]
    rows += [
        ("sum_backtest_folds", fixed(backtest["folds"], "count", language)),
        (
            "sum_backtest_weeks",
            f"{fixed(backtest['weeks'], 'count', language)} ({backtest['first_week']} -- {backtest['last_week']})",
        ),
        (
            "sum_backtest_mae",
            f"{fixed(backtest['mae_mean'], 'hh', language)} $\\pm$ {fixed(backtest['mae_std'], 'hh', language)}",
        ),
        ("sum_backtest_coverage", fixed(backtest["coverage_80_mean"], "coverage", language)),
    ]
    body = [[latex_escape(text(key, language)), value] for key, value in rows]
    header = [text("statistic", language), text("value", language)]
    return table(header, body, text("tab_model_summary", language), "evaluation_summary", lines)


def diebold_mariano(evaluation: dict[str, Any], language: str, lines: list[str]) -> str | None:
    """The backtest's paired tests, the network against each baseline: the mean difference of weekly absolute
    errors with its 95 % interval, the HLN-corrected p, Holm's p over the baselines, and the verdict."""
    tests = (evaluation.get("backtest") or {}).get("dm")
    if not isinstance(tests, dict) or not tests:
        return None
    rows = [
        [
            latex_escape(short_name(name, language)),
            fixed(dm["mae_diff"], "hh", language, signed=True),
            interval(dm["ci_low"], dm["ci_high"], "hh", language, signed=True),
            p_text(dm.get("p_value"), language),
            p_text(dm.get("p_holm"), language),
            stacked(verdict_text(results.verdict_of(dm), language), "l"),
        ]
        for name, dm in tests.items()
    ]
    header = [text(k, language) for k in ("baseline", "col_diff", "col_ci95", "col_p_hln", "col_p_holm", "col_verdict")]
    caption = text("tab_dm", language).format(weeks=evaluation["backtest"].get("weeks", ""))
    caption += " " + spelled(list(tests), language) + "."
    return table(header, rows, caption, "diebold_mariano", lines, last_is_text=True)


# --- the backtest ------------------------------------------------------------------------------


def backtest_table(folds: pd.DataFrame, language: str, lines: list[str]) -> str:
    """Each fold's weeks, the network's MAE and its ranges' coverage."""
    rows = [
        [
            str(int(row["fold"])),
            str(row["test_start"]),
            str(row.get("test_end", MISSING)),
            fixed(row["mae"], "hh", language),
            fixed(row.get("coverage_80"), "coverage", language),
            fixed(row.get("coverage_95"), "coverage", language),
        ]
        for _, row in folds.iterrows()
    ]
    header = [text(k, language) for k in ("fold", "col_first_week", "col_last_week", "col_network_mae")]
    header += [text(k, language) for k in ("col_coverage_80", "col_coverage_95")]
    return table(header, rows, text("tab_backtest", language), "backtest", lines)


def backtest_baselines(folds: pd.DataFrame, language: str, lines: list[str]) -> str:
    """Each fold's MAE per model, the network first, by the models' short names (the caption spells them out)."""
    names = [forecasters.NETWORK] + [n for n in forecasters.BASELINES if f"mae_{n}" in folds.columns]
    column = {forecasters.NETWORK: "mae"} | {n: f"mae_{n}" for n in names[1:]}
    rows = [
        [str(int(row["fold"]))] + [fixed(row[column[n]], "hh", language) for n in names] for _, row in folds.iterrows()
    ]
    header = [text("fold", language)] + [short_name(n, language) for n in names]
    caption = text("tab_backtest_models", language).format(names=spelled(names, language))
    return table(header, rows, caption, "backtest_models", lines)


def short_name(name: str, language: str) -> str:
    """A model's name short enough for a column header (labels' `short_<model>`, else its name)."""
    key = f"short_{name}"
    shown = text(key, language)
    return model(name, language) if shown == key else shown


# --- the simulation study ----------------------------------------------------------------------

# The models the study table shows: the network (the default architecture), its ablation, and the two
# structural baselines the thesis compares it with; reports/study.md has every model.
STUDY_MODELS = ("network", "network_mlp", "linear", "glm")


def study_ratios(study: dict[str, Any], language: str, lines: list[str]) -> str:
    """Per family and model: the mean expected-MAE ratio to the median oracle with its 95 % interval, the
    median and IQR over worlds, and the 80 % range's expected coverage (networks)."""
    rows = []
    for family, scenario in sorted((study.get("scenarios") or {}).items()):
        for name in STUDY_MODELS:
            values = (scenario.get("models") or {}).get(name)
            if values is None:
                continue
            iqr = values.get("ratio_iqr") or [None, None]
            rows.append(
                [
                    latex_escape(family),
                    latex_escape(short_name(name, language)),
                    fixed(values.get("ratio_mean"), "ratio", language),
                    interval(values.get("ratio_ci_low"), values.get("ratio_ci_high"), "ratio", language),
                    fixed(values.get("ratio_median"), "ratio", language),
                    interval(iqr[0], iqr[1], "ratio", language),
                    fixed(values.get("coverage_80_mean"), "coverage", language),
                ]
            )
    header = [text(k, language) for k in ("scenario", "model", "col_mean_ratio", "col_ci95", "col_median")]
    header += [text(k, language) for k in ("col_iqr", "col_coverage_80")]
    families = [row[0] for row in rows]
    return table(header, rows, text("tab_study", language), "study", lines, text_columns=2, groups=families)


def study_tests(study: dict[str, Any], language: str, lines: list[str]) -> str:
    """Per family, the network against each other model: the mean paired difference of expected-MAE ratios
    (network − model) with its 95 % interval, Holm's p over the question's family of tests, the equivalence
    test's p (TOST, margin `equivalence_margin` of the oracle's expected MAE), Wilcoxon's p, and the verdict."""
    rows = []
    for family, scenario in sorted((study.get("scenarios") or {}).items()):
        for name, vs in sorted((scenario.get("vs_network") or {}).items()):
            difference = fixed(vs.get("diff_mean"), "ratio", language, signed=True)
            spread = interval(vs.get("ci_low"), vs.get("ci_high"), "ratio", language, signed=True)
            rows.append(
                [
                    latex_escape(family),
                    latex_escape(short_name(name, language)),
                    f"{difference} {spread}",
                    p_text(vs.get("p_holm"), language),
                    p_text(vs.get("tost_p"), language),
                    p_text(vs.get("wilcoxon_p"), language),
                    stacked(verdict_text(str(vs.get("verdict", compare.TIE)), language), "l"),
                ]
            )
    margin = study.get("equivalence_margin")
    header = [text(k, language) for k in ("scenario", "col_against", "col_diff_ratio_ci", "col_p_holm")]
    header += [text(k, language) for k in ("col_p_tost", "col_p_wilcoxon", "col_verdict")]
    caption = text("tab_study_tests", language).format(
        margin=decimal(f"{100 * margin:g}", language) if margin is not None else MISSING
    )
    families = [row[0] for row in rows]
    return table(
        header, rows, caption, "study_tests", lines, text_columns=2, last_is_text=True, compact=True, groups=families
    )
