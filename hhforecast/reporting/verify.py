"""Compare re-run metrics with the committed ones: every file, every key, PASS or FAIL.

A metric file (JSON or CSV) becomes a flat mapping of keys to values: JSON keys are joined
with dots (`test.mae`, `baselines.gbm.rmse`); a CSV cell is `<row>.<column>`, where the row
is named by the first column when its values are unique (`1.mae` for fold 1 of the
backtest, `acft.psi` in the drift table) and by its 1-based row number otherwise.

Numbers compare exactly, or within a tolerance: a relative one, or an absolute one for values
near zero and for differences of large numbers (a weekly error is a forecast minus an actual,
so a float32 last-bit change in a forecast of 400 HH is a large relative change in an error
of 5 HH); anything else compares as text. A key that only one side has is a FAIL: the
committed metrics and the code that makes them must travel together. Nothing here runs the
pipeline or touches files beyond parsing the text it is given.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

Value = float | int | str | bool | None


@dataclass(frozen=True)
class Check:
    file: str
    key: str
    committed: Value
    reproduced: Value
    status: str  # "exact", "within" (tolerance), "beyond", "missing" (not reproduced), "new" (not committed)

    @property
    def passed(self) -> bool:
        return self.status in ("exact", "within")

    @property
    def relative_difference(self) -> float | None:
        a, b = _number(self.committed), _number(self.reproduced)
        if a is None or b is None or a == b:
            return None if a is None or b is None else 0.0
        return abs(a - b) / max(abs(a), abs(b))


def flatten_json(tree: object, prefix: str = "") -> dict[str, Value]:
    """Nested dicts and lists -> {"a.b.0.c": leaf}."""
    items: Iterable[tuple[object, object]]
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, list):
        items = ((str(i), v) for i, v in enumerate(tree))
    else:
        return {prefix: cast(Value, tree)}  # a JSON leaf: a number, text, a boolean or null
    flat: dict[str, Value] = {}
    for key, value in items:
        flat.update(flatten_json(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def flatten_csv(text: str) -> dict[str, Value]:
    """A CSV table -> {"<row>.<column>": cell}, cells kept as text (parsed only to compare)."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return {}
    header, body = rows[0], rows[1:]
    first = [row[0] if row else "" for row in body]
    names = first if len(set(first)) == len(first) and all(first) else [str(i + 1) for i in range(len(body))]
    return {
        f"{name}.{column}": (row[i] if i < len(row) else None)
        for name, row in zip(names, body)
        for i, column in enumerate(header)
    }


def flatten(name: str, text: str) -> dict[str, Value]:
    """Flatten a metric file by its extension (.json or .csv)."""
    if name.endswith(".json"):
        return flatten_json(json.loads(text))
    if name.endswith(".csv"):
        return flatten_csv(text)
    raise ValueError(f"{name}: not a metric file (expected .json or .csv)")


def _number(value: Value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except ValueError:
        return None


def compare_value(committed: Value, reproduced: Value, rel_tol: float, abs_tol: float = 0.0) -> str:
    """ "exact", "within" (relative difference <= rel_tol or absolute <= abs_tol) or "beyond"."""
    if committed == reproduced:
        return "exact"
    a, b = _number(committed), _number(reproduced)
    if a is None or b is None:
        return "beyond"
    if a == b or (math.isnan(a) and math.isnan(b)):
        return "exact"  # same number written differently ("1.0" and 1)
    return "within" if math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol) else "beyond"


def compare(
    file: str, committed: dict[str, Value], reproduced: dict[str, Value], rel_tol: float, abs_tol: float = 0.0
) -> list[Check]:
    """One Check per key of either side, in the committed order, new keys last."""
    checks = [
        Check(
            file,
            key,
            value,
            reproduced.get(key),
            compare_value(value, reproduced[key], rel_tol, abs_tol) if key in reproduced else "missing",
        )
        for key, value in committed.items()
    ]
    checks += [Check(file, key, None, value, "new") for key, value in reproduced.items() if key not in committed]
    return checks


def compare_files(
    committed: dict[str, str], reproduced: dict[str, str], rel_tol: float, abs_tol: float = 0.0
) -> list[Check]:
    """Committed and reproduced metric files ({name: text}) -> every Check; a missing file fails whole."""
    checks: list[Check] = []
    for name in sorted(set(committed) | set(reproduced)):
        if name not in reproduced:
            checks.append(Check(name, "(file)", "present", None, "missing"))
        elif name not in committed:
            checks.append(Check(name, "(file)", None, "present", "new"))
        else:
            checks += compare(name, flatten(name, committed[name]), flatten(name, reproduced[name]), rel_tol, abs_tol)
    return checks


_LABEL = {"exact": "PASS", "within": "PASS ~", "beyond": "FAIL", "missing": "FAIL missing", "new": "FAIL new"}


def _show(value: Value) -> str:
    if value is None:
        return "-"
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def table(checks: list[Check], only_failures: bool = False) -> str:
    """A fixed-width PASS/FAIL table (one line per key) and a summary line per file and overall."""
    shown = [c for c in checks if not (only_failures and c.passed)]
    rows = [("file", "key", "committed", "reproduced", "rel. diff", "status")]
    for c in shown:
        rel = c.relative_difference
        rows.append(
            (
                c.file,
                c.key,
                _show(c.committed),
                _show(c.reproduced),
                "" if rel in (None, 0.0) else f"{rel:.1e}",
                _LABEL[c.status],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows] if shown else []
    lines.append("")
    for file in sorted({c.file for c in checks}):
        mine = [c for c in checks if c.file == file]
        lines.append(_summary(file, mine))
    lines.append(_summary("all metrics", checks))
    return "\n".join(lines) + "\n"


def _summary(name: str, checks: list[Check]) -> str:
    exact = sum(c.status == "exact" for c in checks)
    within = sum(c.status == "within" for c in checks)
    failed = len(checks) - exact - within
    verdict = "PASS" if failed == 0 else "FAIL"
    return f"{verdict}  {name}: {len(checks)} values, {exact} exact, {within} within tolerance, {failed} failed"


def worst(checks: list[Check]) -> float:
    """The largest relative difference among numeric values (0 when every value is exact)."""
    return max((c.relative_difference or 0.0 for c in checks), default=0.0)
