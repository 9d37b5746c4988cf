"""Time `dvc repro -f` (every stage re-run) and each stage in it (target: whole pipeline under 90 s).

Runs in a fresh clone of HEAD in a temporary folder, so the working tree is untouched.

    python benchmarks/repro_force.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 90.0


def main() -> None:
    dvc = str(Path(sys.executable).parent / "dvc")
    # As `make` runs it: bytecode written by the first import (the Makefile unexports PYTHONDONTWRITEBYTECODE), else
    # every stage that loads TensorFlow recompiles it from source and the timing measures the compiler.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    with tempfile.TemporaryDirectory(prefix="hh-bench-") as scratch:
        work = Path(scratch) / "repo"
        subprocess.run(["git", "clone", "-q", str(REPO), str(work)], check=True)
        subprocess.run([dvc, "repro"], cwd=work, env=env, capture_output=True, check=True)  # warm: data, caches
        started = time.perf_counter()
        process = subprocess.Popen(
            [dvc, "repro", "-f"], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        stage, stage_started, stages = None, started, {}
        for line in process.stdout:
            found = re.match(r"Running stage '([\w-]+)'", line)
            if found:
                now = time.perf_counter()
                if stage:
                    stages[stage] = now - stage_started
                stage, stage_started = found.group(1), now
        if process.wait() != 0:
            raise SystemExit("dvc repro -f failed")
        total = time.perf_counter() - started
        stages[stage] = time.perf_counter() - stage_started
    for name, seconds in stages.items():
        print(f"{name:<10} {seconds:6.1f} s")
    print(f"dvc repro -f: {total:.1f} s")
    print(f"{'PASS' if total < TARGET_SECONDS else 'FAIL'}  whole pipeline under {TARGET_SECONDS:.0f} s")
    raise SystemExit(0 if total < TARGET_SECONDS else 1)


if __name__ == "__main__":
    main()
