"""What a release says: the tag name and the headline numbers, generated from the metrics.

The tag message and the reviewers' "numbers to expect" (docs/reproducibility.md and its Portuguese
twin, written by `hhforecast.reporting.docnumbers`) all come from `headline`, so no number is ever
typed by hand. Pure: dicts in, text out.
"""

from __future__ import annotations

import re
from typing import Any

from hhforecast.core.errors import HHForecastError

TAG_PREFIX = "tcc-v"
VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")

# (dotted key in metrics/eval.json, English label, Portuguese label); absent keys are skipped.
HEADLINE = [
    ("test.mae", "test MAE (HH per week)", "MAE no teste (HH por semana)"),
    ("test.wape", "test WAPE (%)", "WAPE no teste (%)"),
    ("test.coverage_80", "test coverage of the 80 % interval", "cobertura do intervalo de 80 % no teste"),
    ("test.coverage_95", "test coverage of the 95 % interval", "cobertura do intervalo de 95 % no teste"),
    ("backtest.mae_mean", "backtest MAE, mean over folds", "MAE do backtest, média das dobras"),
    ("mae_ratio_to_oracle", "MAE ratio to the oracle", "razão do MAE ao oráculo"),
    ("skill_vs_best_baseline", "skill vs the best baseline", "skill contra a melhor referência"),
]


class ReleaseError(HHForecastError):
    """A release refused: the reason says what to do."""


def tag_name(version: str) -> str:
    """ "1.2.3" -> "tcc-v1.2.3"; anything but three dot-separated numbers is refused."""
    if not VERSION.fullmatch(version or ""):
        raise ReleaseError(f"VERSION must look like 1.2.3 (major.minor.patch), got {version!r}")
    return f"{TAG_PREFIX}{version}"


def _get(tree: dict[str, Any], dotted: str) -> object:
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 10 else f"{value:,.2f}"
    return str(value)


def headline(
    evaluation: dict[str, Any], quality: dict[str, Any] | None = None, language: str = "en"
) -> list[tuple[str, str]]:
    """(label, value) pairs: the dataset's size and span, the model's test and backtest figures, and
    each baseline's test MAE; keys absent from the metrics are left out."""
    pt = language == "pt"
    lines: list[tuple[str, str]] = []
    if quality:
        lines.append(
            (
                "semanas no conjunto de dados" if pt else "weeks in the dataset",
                f"{quality['weeks']} ({quality['first_week']} – {quality['last_week']})",
            )
        )
    for key, en, pt_label in HEADLINE:
        value = _get(evaluation, key)
        if value is not None:
            lines.append((pt_label if pt else en, _format(value)))
    for name, scores in sorted((evaluation.get("baselines") or {}).items()):
        if isinstance(scores, dict) and "mae" in scores:
            lines.append(
                (f"MAE no teste, referência {name}" if pt else f"test MAE, baseline {name}", _format(scores["mae"]))
            )
    if isinstance(evaluation.get("oracle"), dict) and "mae" in evaluation["oracle"]:
        lines.append(("MAE no teste, oráculo" if pt else "test MAE, oracle", _format(evaluation["oracle"]["mae"])))
    return lines


def markdown_table(lines: list[tuple[str, str]], language: str = "en") -> str:
    head = ("| número | valor |" if language == "pt" else "| figure | value |") + "\n|---|---|\n"
    return head + "".join(f"| {label} | {value} |\n" for label, value in lines)


def tag_message(version: str, commit: str, lines: list[tuple[str, str]]) -> str:
    """The annotated tag's message: what was released and the numbers `make verify` reproduces."""
    body = "\n".join(f"  {label}: {value}" for label, value in lines)
    return (
        f"hh-forecast {tag_name(version)} (commit {commit[:12]})\n\n"
        f"Headline numbers (metrics/eval.json, metrics/data_quality.json):\n{body}\n\n"
        f"Reproduce: git checkout {tag_name(version)} && make repro && make verify\n"
    )
