"""A hyperparameter sweep's record: what each run scored, kept so that the docs' sweep table is generated.

A sweep runs DVC experiments (`dvc exp run --queue -n NAME -S train.KEY=VALUE`, then `dvc queue start`);
an experiment's metrics live only as long as its ref. `record` keeps what the table needs from one run —
its `train` params, its test and backtest figures, and its network's forecast of every backtest week (so
that each run can be paired with the default week by week) — in `metrics/sweep/NAME.json`;
`hhforecast.reporting.docnumbers` builds the table and its sentences from those files.

    python -m hhforecast.reporting.sweep default --rev HEAD
    python -m hhforecast.reporting.sweep ensemble-1 --rev ensemble-1     # a DVC experiment's name
    python -m hhforecast.reporting.sweep units-32 --workdir ../other-copy  # a run in another working copy

`record` is pure; `read_run` and `main` read git or a working copy and write the record.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hhforecast.core import config, paths
from hhforecast.core.errors import HHForecastError
from hhforecast.core.io import write_text_atomic
from hhforecast.forecasting import forecasters
from hhforecast.serving import git

DEFAULT = "default"  # the run every other run is paired with


class SweepError(HHForecastError):
    """A run that cannot be recorded: the reason names the revision or the file."""


def record(name: str, train: dict[str, Any], evaluation: dict[str, Any], weeks: pd.DataFrame) -> dict[str, Any]:
    """One run's record: its `train` params, test MAE, expected MAE ratio, backtest MAE and per-week forecasts
    with their fold (the paired test's horizon)."""
    missing = [c for c in ("fold", "date", "actual", forecasters.NETWORK) if c not in weeks.columns]
    if missing:
        raise SweepError(f"run {name!r}: the per-week backtest lacks the column(s) {', '.join(missing)}")
    return {
        "name": name,
        "train": train,
        "test_mae": evaluation["test"]["mae"],
        "expected_mae_ratio": (evaluation.get("expected_mae_ratio") or {}).get(forecasters.NETWORK),
        "backtest_mae": evaluation["backtest"]["mae"][forecasters.NETWORK],
        "backtest": {
            "fold": [int(v) for v in weeks["fold"]],
            "date": weeks["date"].astype(str).tolist(),
            "actual": [round(float(v), 6) for v in weeks["actual"]],
            forecasters.NETWORK: [round(float(v), 6) for v in weeks[forecasters.NETWORK]],
        },
    }


def _git_show(rev: str, path: Path) -> str:
    try:
        return git.output("show", f"{rev}:{path.as_posix()}")
    except git.GitError as exc:
        raise SweepError(f"{rev}:{path.as_posix()}: {exc.stderr}") from None


def read_run(rev: str | None, workdir: Path = Path(".")) -> tuple[dict[str, Any], dict[str, Any], pd.DataFrame]:
    """(train params, eval.json, per-week backtest) of a revision (a commit, tag or DVC experiment's name), or
    of the working copy `workdir` when `rev` is None."""
    files = (config.DEFAULT_PARAMS, paths.EVAL, paths.BACKTEST_WEEKS)
    if rev is None:
        missing = [f.as_posix() for f in files if not (workdir / f).is_file()]
        if missing:
            raise SweepError(f"{workdir}: no {', '.join(missing)}; run the pipeline there first")
        texts = [(workdir / f).read_text(encoding="utf-8") for f in files]
    else:
        from hhforecast.serving import registry  # resolves an experiment's name as `hh compare` does

        commit = registry.commit_of(Path("."), rev)
        texts = [_git_show(commit, f) for f in files]
    params, evaluation, weeks = texts
    return yaml.safe_load(params)["train"], json.loads(evaluation), pd.read_csv(io.StringIO(weeks))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("name", help=f"the run's name in the table ({DEFAULT!r}: the run the others are paired with)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--rev", help="a commit, tag or DVC experiment's name (default: the working copy)")
    source.add_argument("--workdir", type=Path, default=Path("."), help="a working copy that ran the pipeline")
    args = parser.parse_args(argv)
    try:
        train, evaluation, weeks = read_run(args.rev, args.workdir)
        target = paths.SWEEP / f"{args.name}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        # One line: the per-week forecasts would otherwise take a line each.
        text = json.dumps(record(args.name, train, evaluation, weeks), sort_keys=True, ensure_ascii=False)
        write_text_atomic(text + "\n", target)
    except HHForecastError as exc:
        print(f"sweep: {exc}", file=sys.stderr)
        return 1
    print(f"sweep: wrote {target.as_posix()}; `make docs-numbers` rebuilds the table")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
