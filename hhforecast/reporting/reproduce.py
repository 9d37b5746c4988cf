"""`hh verify` (`make verify`): read the committed metrics from git, re-run the pipeline from scratch, and read
the reproduced ones, for `verify.compare_files` to compare key by key.

The committed values come from a git revision (HEAD by default), read before anything runs; the pipeline is
then re-run with `dvc repro --force --no-run-cache`. The metric files are those of the main pipeline: the
study's per-world files under metrics/study/ belong to its own pipeline, which verify does not re-run.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath

from hhforecast.core import paths
from hhforecast.core.errors import HHForecastError
from hhforecast.serving import git

METRIC_FILES = [
    (paths.METRICS / "*.json").as_posix(),
    (paths.METRICS / "*.csv").as_posix(),
    paths.DVCLIVE_METRICS.as_posix(),
]


class VerifyError(HHForecastError):
    """The committed metrics cannot be read."""


def is_metric(name: str) -> bool:
    """The same files as `workspace_metrics` globs: `*` stays within its folder."""
    path = PurePosixPath(name)
    return any(
        path.parent == PurePosixPath(pattern).parent and fnmatch.fnmatch(path.name, PurePosixPath(pattern).name)
        for pattern in METRIC_FILES
    )


def committed_metrics(revision: str = "HEAD") -> dict[str, str]:
    """Every metric file's text at `revision`, by repository path."""
    try:
        listed = git.output(
            "ls-tree", "-r", "--name-only", revision, paths.METRICS.as_posix(), paths.DVCLIVE.as_posix()
        ).split()
        found = {name: git.output("show", f"{revision}:{name}") for name in listed if is_metric(name)}
    except git.GitError as exc:
        raise VerifyError(f"cannot read the committed metrics at {revision}: {exc.stderr}") from None
    if not found:
        raise VerifyError(f"no committed metric files at {revision} ({', '.join(METRIC_FILES)})")
    return found


def workspace_metrics(root: Path = Path(".")) -> dict[str, str]:
    """Every metric file's text in the working tree, by repository path."""
    found = [p for pattern in METRIC_FILES for p in root.glob(pattern)]
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(found)}


def rerun_pipeline() -> bool:
    """`dvc repro --force --no-run-cache` with this environment's dvc, and its python first on PATH (the
    stages' `python`); dvc's output goes to the terminal. True when it succeeded."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(bin_dir / "dvc"), "repro", "--force", "--no-run-cache"], env=env).returncode == 0
