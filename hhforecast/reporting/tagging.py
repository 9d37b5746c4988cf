"""`hh release VERSION` (`make release`): an annotated tag tcc-vX.Y.Z, only from a clean, verified tree.

Refuses (`release.ReleaseError`, saying why) unless the git tree is clean, `dvc status` reports nothing to
do and the verify command (`make verify` by default) passes; the tree must still be clean after
verification. The tag's message holds the headline numbers of the committed metrics (`release.headline`).
"""

from __future__ import annotations

import json
import shlex
import subprocess

from hhforecast.core import paths
from hhforecast.reporting import release
from hhforecast.serving import git


def require_clean_tree(when: str) -> None:
    dirty = git.output("status", "--porcelain", "--untracked-files=normal")
    if dirty:
        shown = "; ".join(dirty.splitlines()[:5])
        raise release.ReleaseError(f"the git tree is not clean {when} ({shown}): commit or stash first")


def require_dvc_clean(dvc: str) -> None:
    result = subprocess.run([*shlex.split(dvc), "status", "--json"], capture_output=True, text=True)
    if result.returncode != 0:
        raise release.ReleaseError(f"dvc status failed: {result.stderr.strip() or result.stdout.strip()}")
    if json.loads(result.stdout or "{}"):
        raise release.ReleaseError(
            "dvc status is not clean (outputs differ from dvc.lock): run `make repro` and commit dvc.lock and metrics/"
        )


def tag(version: str, verify: str, dvc: str) -> tuple[str, str]:
    """Check, verify with the command `verify`, and tag HEAD; returns the tag's name and message."""
    name = release.tag_name(version)
    if git.output("tag", "--list", name).strip():
        raise release.ReleaseError(f"tag {name} already exists")
    require_clean_tree("before verification")
    require_dvc_clean(dvc)
    if subprocess.run(shlex.split(verify)).returncode != 0:
        raise release.ReleaseError(f"`{verify}` failed: the re-run metrics differ from the committed ones")
    require_clean_tree("after verification")
    evaluation = json.loads(git.output("show", f"HEAD:{paths.EVAL.as_posix()}"))
    quality = json.loads(git.output("show", f"HEAD:{paths.DATA_QUALITY.as_posix()}"))
    commit = git.output("rev-parse", "HEAD").strip()
    message = release.tag_message(version, commit, release.headline(evaluation, quality))
    git.output("tag", "--annotate", name, "--message", message)
    return name, message
