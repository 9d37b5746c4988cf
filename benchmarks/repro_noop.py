"""Time `dvc repro` when nothing changed (target: under 3 s). Run after a full `make repro`.

python benchmarks/repro_noop.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    dvc = str(Path(sys.executable).parent / "dvc")
    status = subprocess.run([dvc, "status"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    if "up to date" not in status:
        raise SystemExit(f"the pipeline is not up to date; run `make repro` first:\n{status}")
    seconds = []
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run([dvc, "repro"], cwd=REPO, capture_output=True, check=True)
        seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    print(f"no-op dvc repro over {args.runs} runs: median {median:.2f} s, max {max(seconds):.2f} s")
    print(f"{'PASS' if median < 3 else 'FAIL'}  median under 3 s")
    raise SystemExit(0 if median < 3 else 1)


if __name__ == "__main__":
    main()
