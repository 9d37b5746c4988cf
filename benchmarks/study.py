"""Time the simulation study: seconds per world (with its drift-free twin) and the projected total.

    python benchmarks/study.py [--families baseline interaction] [--worlds 1 2] [--ensemble N] [--epochs N]

Runs the chosen worlds through `worlds.run_worlds` with params.yaml's backend and n_jobs (one pool
for all of them, as a Dask cluster would run them), prints one line per world on stderr as it
finishes, then the wall time per world and the projection to every family x world in params.yaml.
`make study` runs one DVC stage per block of study.block_size worlds, which adds each stage's
start-up (Python, TensorFlow in the workers, DVC's bookkeeping); `--stage` times one real block
stage instead, and projects `make study` from it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from hhforecast.core import config
from hhforecast.simulation import worlds

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", nargs="+", default=["baseline", "interaction_15"])
    parser.add_argument("--worlds", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--ensemble", type=int, default=None, help="override study.ensemble")
    parser.add_argument("--epochs", type=int, default=None, help="override study.epochs")
    parser.add_argument("--stage", action="store_true", help="also time one `dvc repro` world stage, forced")
    args = parser.parse_args()
    params = config.load(REPO / "params.yaml")
    settings = config.study_section(params)
    update = {k: v for k, v in (("ensemble", args.ensemble), ("epochs", args.epochs)) if v is not None}
    params = params.model_copy(update={"study": settings.model_copy(update=update)})
    specs = [worlds.world_spec(params, family, world) for family in args.families for world in args.worlds]

    started = time.perf_counter()
    worlds.run_worlds(specs, params.split, params.monitor, settings.backend, settings.scheduler, settings.n_jobs)
    total = time.perf_counter() - started
    per_world = total / len(specs)
    planned = len(settings.families) * len(settings.worlds)
    print(
        f"{len(specs)} worlds ({settings.backend}, n_jobs {settings.n_jobs}, ensemble {specs[0].train.ensemble}, "
        f"epochs {specs[0].train.epochs}): {total:.1f} s, {per_world:.1f} s per world (with its twin)"
    )
    print(f"projected for {planned} worlds in one pool: {planned * per_world / 60:.1f} min")
    if args.stage:
        dvc = str(Path(sys.executable).parent / "dvc")
        stage = f"study/dvc.yaml:worlds@{args.families[0]}-{settings.blocks[0]}"
        started = time.perf_counter()
        # As make runs it: bytecode written once, not TensorFlow recompiled by every process.
        env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([dvc, "repro", "-f", "-s", stage], cwd=REPO, check=True, capture_output=True, env=env)
        seconds = time.perf_counter() - started
        blocks = len(settings.families) * len(settings.blocks)
        print(
            f"one DVC block stage ({stage}, {settings.block_size} worlds): {seconds:.1f} s, "
            f"{seconds / settings.block_size:.1f} s per world; projected `make study` from scratch "
            f"({blocks} blocks): {blocks * seconds / 60:.1f} min"
        )


if __name__ == "__main__":
    main()
