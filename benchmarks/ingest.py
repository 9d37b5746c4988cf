"""Ingest throughput and memory against pandas' openpyxl reader, on the same synthetic files.

    python benchmarks/ingest.py                 # world at synthetic.scale=10 (about 1M event rows)
    python benchmarks/ingest.py --scale 1       # quicker look
    python benchmarks/ingest.py --generate DIR  # only write the world at --scale to DIR/raw and DIR/truth
    python benchmarks/ingest.py --raw-dir DIR   # reuse a generated raw folder (DIR/raw above)

Each measurement runs in a fresh process. Its peak RSS is the largest sum of the
resident memory of that process and its live workers, sampled from /proc (Linux):
what the reader needs at once, with two workers counted together. CPU seconds
(process and workers) are shown too, since wall time on a shared machine varies
with the other load. Targets on a 2-core machine: >= 100,000 event rows/s,
>= 5x faster than openpyxl, peak RSS < 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GIB = 1024**3
SAMPLE_SECONDS = 0.01


def _tree(pid: int) -> list[int]:
    """The process and every process under it."""
    pids, todo = [], [pid]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    todo += [int(child) for child in handle.read().split()]
        except OSError:
            continue  # the process ended between two reads
    return pids


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(kind: str, raw_dir: Path, workers: int) -> dict:
    import pandas as pd

    from hhforecast.core import config
    from hhforecast.dataprep import ingest

    params = config.load(REPO / "params.yaml")
    workbooks = sorted((raw_dir / ingest.EVENTS_DIR).glob("*.xlsx"))
    cpu = _cpu_seconds()
    started = time.perf_counter()
    if kind == "hhforecast":
        ingest_params = params.ingest.model_copy(update={"workers": workers})
        tasks = [ingest.FileTask(p, p.name, "events") for p in workbooks]
        results = ingest.read_files(tasks, params.contract, ingest_params, progress=False)
        rows = sum(len(frame) for frame, _, _ in results)
    else:
        rows = sum(len(pd.read_excel(p, engine=kind, header=None, dtype=object)) for p in workbooks)
    seconds = time.perf_counter() - started
    return {"kind": kind, "workers": workers, "rows": rows, "seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu}


# The peak is sampled here, from outside, rather than read from the measuring process's
# ru_maxrss: Linux carries ru_maxrss across exec, so a measurement started by a process
# that had just generated the world reported that process's peak (about 3.4 GiB at
# scale 10) instead of its own; and RUSAGE_CHILDREN is the largest worker, not both at once.
def run_measurement(kind: str, raw_dir: Path, workers: int = 1) -> dict:
    command = [sys.executable, __file__, "--measure", kind, "--raw-dir", str(raw_dir), "--workers", str(workers)]
    peak = 0
    with tempfile.TemporaryFile("w+") as stdout, subprocess.Popen(command, stdout=stdout) as child:
        while child.poll() is None:
            peak = max(peak, sum(_rss_bytes(pid) for pid in _tree(child.pid)))
            time.sleep(SAMPLE_SECONDS)
        if child.returncode != 0:
            raise SystemExit(f"{kind} x{workers} failed with exit code {child.returncode}")
        stdout.seek(0)
        result: dict = json.loads(stdout.read().strip().splitlines()[-1])
    return {**result, "peak_rss": peak}


def generate(scale: float, target: Path) -> Path:
    from hhforecast import synth
    from hhforecast.core import config

    params = config.load(REPO / "params.yaml").synthetic.model_copy(update={"scale": scale})
    started = time.perf_counter()
    world = synth.build_world(params)
    synth.write_world(world, target / "raw", target / "truth")
    print(f"generated scale {scale:g} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return target / "raw"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--raw-dir", type=Path)
    parser.add_argument("--generate", type=Path, metavar="DIR", help="write the world at --scale to DIR and stop")
    parser.add_argument("--skip-openpyxl", action="store_true", help="skip the slow reference reader")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.raw_dir, args.workers)))
        return
    if args.generate:
        generate(args.scale, args.generate)
        return
    with tempfile.TemporaryDirectory(prefix="hh-bench-") as scratch:
        raw_dir = args.raw_dir or generate(args.scale, Path(scratch))
        runs = [run_measurement("hhforecast", raw_dir, 2), run_measurement("hhforecast", raw_dir, 1)]
        if not args.skip_openpyxl:
            runs.append(run_measurement("openpyxl", raw_dir))
    rows = runs[0]["rows"]
    print(f"event rows: {rows:,}")
    print(f"{'reader':<24}{'seconds':>10}{'cpu s':>10}{'rows/s':>12}{'peak RSS':>12}")
    for run in runs:
        label = f"{run['kind']} x{run['workers']}"
        print(
            f"{label:<24}{run['seconds']:>10.1f}{run['cpu_seconds']:>10.1f}"
            f"{run['rows'] / run['seconds']:>12,.0f}{run['peak_rss'] / GIB:>10.2f} GiB"
        )
    best = runs[0]
    verdicts = [
        ("rows/s >= 100,000", best["rows"] / best["seconds"] >= 100_000),
        ("peak RSS < 2 GiB", best["peak_rss"] < 2 * GIB),
    ]
    if not args.skip_openpyxl:
        ratio = runs[-1]["seconds"] / best["seconds"]
        print(f"speed-up over openpyxl: {ratio:.1f}x (single worker: {runs[-1]['seconds'] / runs[1]['seconds']:.1f}x)")
        verdicts.append((">= 5x faster than openpyxl", ratio >= 5))
    for name, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    raise SystemExit(0 if all(ok for _, ok in verdicts) else 1)


if __name__ == "__main__":
    main()
