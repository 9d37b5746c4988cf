"""The results table and the sentences that read it, generated from eval.json: no figure is typed by hand."""

from __future__ import annotations

import html
from typing import Any

from hhforecast.evaluation import compare
from hhforecast.forecasting import forecasters

# The table's labels: each model's name (forecasters.LABELS) with how it works, where that is not plain.
LABELS = {
    **forecasters.LABELS,
    **{
        name: f"{forecasters.LABELS[name]} ({how})"
        for name, how in {
            "network": "Keras ensemble",
            "rate_naive": "last year's HH/FH × FH",
            "glm": "log link, structural terms",
        }.items()
    },
}


# The one line that stands for every section a synthetic truth makes possible, where there is none (real data).
NO_TRUTH = (
    "No synthetic truth (data.truth_dir is empty, as for real data): the oracle, the expected MAE ratios and "
    "the ranges' expected coverage are left out; the models are compared on the test and backtest weeks."
)


def has_truth(evaluation: dict[str, Any]) -> bool:
    """Whether evaluate scored against the synthetic world's exact distribution (the oracle's keys are there)."""
    return "oracle" in evaluation


def _f(value: object, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def verdict_of(dm: dict[str, Any]) -> str:
    """The Holm-aware verdict the backtest recorded (older metrics without one: the interval alone)."""
    return str(dm["verdict"]) if "verdict" in dm else compare.verdict(dm["ci_low"], dm["ci_high"])


Table = tuple[list[str], list[list[str]]]


def models_in(evaluation: dict[str, Any]) -> list[str]:
    """The network, then the baselines eval.json scored, in forecasting's order."""
    return [forecasters.NETWORK, *[n for n in forecasters.BASELINES if n in evaluation.get("baselines", {})]]


def model_table(evaluation: dict[str, Any]) -> Table:
    """Models × (expected ratio, test MAE, backtest MAE, paired difference vs the network, DM p, verdict)."""
    test, backtest = evaluation["test"], evaluation["backtest"]
    expected = evaluation.get("expected_mae_ratio", {})
    names = models_in(evaluation)
    truth = has_truth(evaluation)
    header = [
        "model",
        *(["expected MAE ratio to the median oracle (test)"] if truth else []),
        "test MAE",
        "backtest MAE",
        "network − model, backtest (HH/week, 95 % CI)",
        "DM p (HLN)",
        "p (Holm)",
        "network is",
    ]
    rows = []
    for name in names:
        test_mae = test["mae"] if name == forecasters.NETWORK else evaluation["baselines"][name]["mae"]
        dm = backtest["dm"].get(name)
        paired = "–" if dm is None else f"{dm['mae_diff']:+.2f} [{dm['ci_low']:+.2f}, {dm['ci_high']:+.2f}]"
        rows.append(
            [
                LABELS.get(name, name),
                *([_f(expected.get(name), 3)] if truth else []),
                _f(test_mae),
                _f(backtest["mae"].get(name)),
                paired,
                _f(dm and dm["p_value"], 3),
                _f(dm and dm.get("p_holm"), 3),
                "–" if dm is None else verdict_of(dm),
            ]
        )
    return header, rows


def interval_table(evaluation: dict[str, Any]) -> Table:
    """The network's ranges beside the oracle's own (its exact quantiles): coverage with its interval, width, score."""
    test = evaluation["test"]
    oracle = evaluation.get("oracle", {})
    expected = evaluation.get("expected_intervals", {})
    truth = has_truth(evaluation)
    header = [
        "ranges",
        "level",
        "coverage (test, 95 % CI)",
        *(["expected coverage"] if truth else []),
        "mean width (HH)",
        "interval score",
    ]
    rows = []
    for who, scores, key_expected in (
        ("network (scaled conformal)", test, expected.get(forecasters.NETWORK, {})),
        ("oracle (exact quantiles)", oracle, expected.get("oracle", {})),
    ):
        for key in ("80", "95"):
            if f"coverage_{key}_ci" not in scores:
                continue
            low, high = scores[f"coverage_{key}_ci"]
            rows.append(
                [
                    who,
                    f"{key} %",
                    f"{scores[f'coverage_{key}']:.3f} [{low:.3f}, {high:.3f}]",
                    *([_f(key_expected.get(f"coverage_{key}"), 3)] if truth else []),
                    f"{scores[f'width_{key}']:.1f}",
                    f"{scores[f'interval_score_{key}']:.1f}",
                ]
            )
    return header, rows


def as_markdown(table: Table) -> list[str]:
    header, rows = table
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *["| " + " | ".join(row) + " |" for row in rows],
    ]


def as_html(table: Table) -> str:
    header, rows = table
    head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def sentences(evaluation: dict[str, Any]) -> list[str]:
    test, backtest = evaluation["test"], evaluation["backtest"]
    out = [] if has_truth(evaluation) else [NO_TRUTH]
    ratios = evaluation.get("expected_mae_ratio")
    if ratios:
        best = min((n for n in ratios if n != forecasters.NETWORK), key=ratios.get)
        out.append(
            f"On the {test['n_weeks']} test weeks, averaged over the synthetic world's own noise, the network's "
            f"expected MAE is {ratios[forecasters.NETWORK]:.3f}× the median oracle's "
            f"({evaluation['oracle']['expected_mae']:.1f} HH); the best baseline, {LABELS.get(best, best)}, "
            f"is at {ratios[best]:.3f}×."
        )
        out.append(
            f"Noise sets the ceiling: on those weeks even the oracle scores R² {evaluation['oracle']['r2']:.2f} "
            f"(the network {test['r2']:.2f}), because one week's HH varies far more than the signal does "
            f"inside a year."
        )
    groups: dict[str, list[str]] = {compare.BETTER: [], compare.TIE: [], compare.WORSE: []}
    for name, dm in backtest["dm"].items():
        groups[verdict_of(dm)].append(LABELS.get(name, name))
    span = f"{backtest['weeks']} backtest weeks ({backtest['first_week']} to {backtest['last_week']}, {backtest['folds']} folds)"
    parts = []
    if groups[compare.BETTER]:
        parts.append("is better than " + ", ".join(groups[compare.BETTER]))
    if groups[compare.TIE]:
        parts.append(
            "shows no difference from "
            + ", ".join(groups[compare.TIE])
            + " (the paired difference's 95 % interval holds 0, or its Holm-adjusted p-value is 0.05 or more)"
        )
    if groups[compare.WORSE]:
        parts.append("is worse than " + ", ".join(groups[compare.WORSE]))
    out.append(f"Over {span}, week by week, the network " + "; it ".join(parts) + ".")
    if "dm_method" in backtest:
        out.append(f"Paired tests: {backtest['dm_method']}.")
    low, high = test["coverage_80_ci"]
    out.append(
        f"Its 80 % ranges covered {test['coverage_80']:.0%} of the test weeks (95 % CI {low:.0%}–{high:.0%}) "
        f"at a mean width of {test['width_80']:.0f} HH"
        + (
            f"; the oracle's own 80 % ranges are {evaluation['oracle']['width_80']:.0f} HH wide."
            if "oracle" in evaluation and "width_80" in evaluation["oracle"]
            else "."
        )
    )
    return out


def markdown(evaluation: dict[str, Any]) -> str:
    """reports/results.md: both tables, then what they say."""
    lines = [
        "### Models (generated from `metrics/eval.json`)",
        "",
        *as_markdown(model_table(evaluation)),
        "",
        "### Prediction ranges",
        "",
        *as_markdown(interval_table(evaluation)),
        "",
        *[f"- {s}" for s in sentences(evaluation)],
        "",
    ]
    return "\n".join(lines)
