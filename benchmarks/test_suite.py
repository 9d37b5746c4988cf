"""Time `make test` as CI runs it: a fresh clone of HEAD, a new .venv from the lock (uv's download cache and mypy's
cache, both outside the clone, kept),
bytecode written by the first import, then lint, the format and type checks and the tests not marked slow on two
workers (target: under 3 minutes in all). The slow ones (`make test-slow`) are timed too, and reported apart.

Runs in a temporary folder, so the working tree and its .venv are untouched.

    python benchmarks/test_suite.py
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 180.0


def timed_make(work: Path, target: str, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(["make", target], cwd=work, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"make {target} failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def main() -> None:
    # The clone builds and uses its own .venv: nothing of this one's may leak in.
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("VIRTUAL_ENV", "PYTHONPATH", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    }
    with tempfile.TemporaryDirectory(prefix="hh-bench-") as scratch:
        work = Path(scratch) / "repo"
        subprocess.run(["git", "clone", "-q", str(REPO), str(work)], check=True)
        setup, _ = timed_make(work, "setup", env)
        tests, output = timed_make(work, "test", env)
        slow, slow_output = timed_make(work, "test-slow", env)
    passed = re.search(r"(\d+) passed", output)
    slow_passed = re.search(r"(\d+) passed", slow_output)
    total = setup + tests
    print(f"make setup {setup:6.1f} s  (a new .venv from uv.lock)")
    print(f"make test  {tests:6.1f} s  (lint, format and type checks, {passed.group(1) if passed else '?'} tests)")
    print(f"in all     {total:6.1f} s")
    print(
        f"make test-slow {slow:6.1f} s  ({slow_passed.group(1) if slow_passed else '?'} slow tests; not in the target)"
    )
    print(f"{'PASS' if total < TARGET_SECONDS else 'FAIL'}  make test in a fresh clone under {TARGET_SECONDS:.0f} s")
    raise SystemExit(0 if total < TARGET_SECONDS else 1)


if __name__ == "__main__":
    main()
