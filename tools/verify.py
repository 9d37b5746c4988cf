"""`make verify`: re-run the pipeline and compare every metric with the committed one.

The committed values come from git HEAD (read before anything runs); the pipeline is then
re-run from scratch (`dvc repro --force`) and every key of every metric file is compared:
exact, or within `verify.rel_tolerance` / `verify.abs_tolerance` (params.yaml), or FAIL. Exit status 1 on any FAIL.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hhforecast.core import config  # noqa: E402
from hhforecast.reporting import verify

METRIC_FILES = ["metrics/*.json", "metrics/*.csv", "dvclive/metrics.json"]


def is_metric(name: str) -> bool:
    """The same files as `workspace_metrics` globs: `*` stays within its folder (the study's per-world
    files under metrics/study/ belong to the study's own pipeline, which verify does not re-run)."""
    path = PurePosixPath(name)
    return any(
        path.parent == PurePosixPath(pattern).parent and fnmatch.fnmatch(path.name, PurePosixPath(pattern).name)
        for pattern in METRIC_FILES
    )


def committed_metrics(revision: str = "HEAD") -> dict[str, str]:
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", revision, "metrics", "dvclive"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {
        name: subprocess.run(["git", "show", f"{revision}:{name}"], capture_output=True, text=True, check=True).stdout
        for name in listed
        if is_metric(name)
    }


def workspace_metrics() -> dict[str, str]:
    found = [p for pattern in METRIC_FILES for p in Path().glob(pattern)]
    return {p.as_posix(): p.read_text(encoding="utf-8") for p in sorted(found)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--exact", action="store_true", help="no tolerance: on the machine kind that produced the committed metrics"
    )
    parser.add_argument("--no-repro", action="store_true", help="compare the workspace as it is, without re-running")
    parser.add_argument("--failures-only", action="store_true", help="list only the keys that fail")
    parser.add_argument("--rev", default="HEAD", help="the commit whose metrics are expected (default HEAD)")
    args = parser.parse_args(argv)

    tolerance = config.load().verify
    rel_tol, abs_tol = (0.0, 0.0) if args.exact else (tolerance.rel_tolerance, tolerance.abs_tolerance)
    try:
        committed = committed_metrics(args.rev)
    except subprocess.CalledProcessError as exc:
        print(f"verify: error: cannot read the committed metrics at {args.rev}: {exc.stderr.strip()}", file=sys.stderr)
        return 1
    if not committed:
        print(f"verify: error: no committed metric files at {args.rev} ({', '.join(METRIC_FILES)})", file=sys.stderr)
        return 1
    started = time.monotonic()
    if not args.no_repro:
        bin_dir = Path(sys.executable).parent  # the stages' `python` is this environment's
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
        result = subprocess.run([str(bin_dir / "dvc"), "repro", "--force", "--no-run-cache"], env=env)
        if result.returncode != 0:
            print("verify: FAIL: dvc repro failed (its output is above)", file=sys.stderr)
            return 1
    checks = verify.compare_files(committed, workspace_metrics(), rel_tol, abs_tol)
    print(verify.table(checks, only_failures=args.failures_only), end="")
    stated = (
        "exact (no tolerance)"
        if rel_tol == abs_tol == 0
        else f"tolerance: relative {rel_tol:g} or absolute {abs_tol:g}"
    )
    print(
        f"{stated}; largest relative difference {verify.worst(checks):.1e}; "
        f"{'re-run and compared' if not args.no_repro else 'compared'} in {time.monotonic() - started:.0f} s"
    )
    return 0 if all(c.passed for c in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
