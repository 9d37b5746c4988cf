"""Batch prediction speed: 100,000 planned weeks through the served bundle (target: under 2 s).

    python benchmarks/predict.py [--weeks 100000]

Uses the workspace model (run `make repro` first). Times `predict.forecast`:
model call, conformal ranges and extrapolation flags, not file I/O.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from hhforecast.serving import bundle, predict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weeks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    model = bundle.load_workspace()
    rng = np.random.default_rng(0)
    weeks = pd.DataFrame({"date": pd.date_range("2025-01-06", periods=args.weeks, freq="7D", unit="s")})
    for name, (low, high) in model.feature_ranges.items():
        weeks[name] = rng.uniform(low * 0.9, high * 1.1, args.weeks)
    weeks = weeks[["date", *model.features]]  # the features in training order, as forecast requires
    predict.forecast(model, weeks.head(10))  # warm-up: the first call builds the graph
    seconds = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = predict.forecast(model, weeks)
        seconds.append(time.perf_counter() - started)
    best = min(seconds)
    print(
        f"{args.weeks:,} weeks: best {best:.2f} s of {args.repeat} ({args.weeks / best:,.0f} weeks/s); "
        f"{int(result['extrapolation'].sum()):,} flagged as extrapolation"
    )
    print(f"{'PASS' if best < 2 else 'FAIL'}  under 2 s")
    raise SystemExit(0 if best < 2 else 1)


if __name__ == "__main__":
    main()
