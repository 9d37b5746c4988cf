"""How each stage grows with the data: the synthetic world at several scales.

    python benchmarks/scale.py                  # scales 1, 3, 10 (about a million event rows at 10)
    python benchmarks/scale.py --scales 1 3     # quicker

For each scale, a scratch copy of params.yaml with `synthetic.scale` set runs
every stage script in order, each in its own process, recording wall time and
peak RSS (the stage's process and its worker processes). `generate` is timed
but left out of the pipeline total. Targets on a 2-core machine: each stage
grows linearly or better, the 10x pipeline (generate excluded) under 3 minutes,
peak RSS under 4 GiB.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
STAGES = ["generate", "ingest", "clean", "aggregate", "join", "train", "evaluate", "predict", "monitor", "report"]
GIB = 1024**3

# Runs one stage script and prints its wall time and peak RSS (self and children, in KiB on Linux).
RUNNER = """
import json, resource, runpy, sys, time
started = time.perf_counter()
sys.argv = [sys.argv[1]]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"seconds": time.perf_counter() - started, "peak_rss": peak * 1024}), file=sys.stderr)
"""


def run_stage(work: Path, stage: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(REPO / "stages" / f"{stage}.py")],
        cwd=work,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"{stage} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stderr.strip().splitlines()[-1])


def run_scale(scale: float) -> dict[str, dict]:
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    params["synthetic"]["scale"] = scale
    with tempfile.TemporaryDirectory(prefix=f"hh-scale-{scale:g}-") as scratch:
        work = Path(scratch)
        (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
        figures = {}
        for stage in STAGES:
            figures[stage] = run_stage(work, stage)
            print(
                f"scale {scale:g}: {stage:<10} {figures[stage]['seconds']:7.1f} s "
                f"{figures[stage]['peak_rss'] / GIB:6.2f} GiB",
                file=sys.stderr,
                flush=True,
            )
        quality = json.loads((work / "metrics" / "data_quality.json").read_text())
        figures["rows"] = {"events_read": quality["rows"]["events_read"]}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 3.0, 10.0])
    args = parser.parse_args()
    results = {scale: run_scale(scale) for scale in args.scales}
    lo, hi = min(args.scales), max(args.scales)
    rows_lo, rows_hi = results[lo]["rows"]["events_read"], results[hi]["rows"]["events_read"]
    header = "| stage | " + " | ".join(f"{s:g}× s | {s:g}× GiB" for s in args.scales) + " | growth exponent |"
    print(header)
    print("|" + "---|" * (2 + 2 * len(args.scales)))
    exponents = {}
    for stage in STAGES:
        cells = " | ".join(
            f"{results[s][stage]['seconds']:.1f} | {results[s][stage]['peak_rss'] / GIB:.2f}" for s in args.scales
        )
        t_lo, t_hi = results[lo][stage]["seconds"], results[hi][stage]["seconds"]
        exponents[stage] = math.log(t_hi / t_lo) / math.log(rows_hi / rows_lo) if hi != lo else float("nan")
        print(f"| {stage} | {cells} | {exponents[stage]:.2f} |")
    totals = {s: sum(results[s][st]["seconds"] for st in STAGES if st != "generate") for s in args.scales}
    peaks = {s: max(results[s][st]["peak_rss"] for st in STAGES if st != "generate") for s in args.scales}
    print(
        "| pipeline (generate excluded) | "
        + " | ".join(f"{totals[s]:.1f} | {peaks[s] / GIB:.2f}" for s in args.scales)
        + " | |"
    )
    print("\nevent rows: " + ", ".join(f"{s:g}×: {results[s]['rows']['events_read']:,}" for s in args.scales))
    verdicts = [
        ("every stage grows linearly or better (exponent <= 1.1)", all(e <= 1.1 for e in exponents.values())),
        (f"{hi:g}x pipeline under 3 minutes", totals[hi] < 180),
        (f"{hi:g}x peak RSS under 4 GiB", peaks[hi] < 4 * GIB),
    ]
    for name, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    raise SystemExit(0 if all(ok for _, ok in verdicts) else 1)


if __name__ == "__main__":
    main()
