"""git, run from one place: a command's output, or `GitError` naming the command and quoting git.

The registry reads tags and commits with it; `reporting` reads committed files and tags releases with it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from hhforecast.core.errors import HHForecastError


class GitError(HHForecastError):
    """A git command failed; `command` is what ran, `stderr` what git said."""

    def __init__(self, command: list[str], stderr: str) -> None:
        self.command, self.stderr = command, stderr.strip()
        super().__init__(f"{' '.join(command)} failed: {self.stderr}")


def committed_file(repo: Path, rev: str, path: Path) -> bytes | None:
    """A file's bytes as committed at `rev`, or None when git does not hold it there (a DVC output, say; a
    folder is not a file either)."""
    result = subprocess.run(["git", "cat-file", "blob", f"{rev}:{path.as_posix()}"], cwd=repo, capture_output=True)
    return result.stdout if result.returncode == 0 else None


def output(*args: str, repo: Path = Path(".")) -> str:
    """`git ARGS...`'s standard output, run in `repo`."""
    command = ["git", *args]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    if result.returncode != 0:
        raise GitError(command, result.stderr)
    return result.stdout


def commit(repo: Path, files: list[str], message: str, name: str, email: str) -> str | None:
    """Stage `files` (those that exist) and commit them, as the repository's own identity when it has one and as
    `name <email>` otherwise; the new commit's hash, or None when nothing changed."""
    present = [f for f in files if (repo / f).exists()]
    if present:
        output("add", "--", *present, repo=repo)
    if not present or subprocess.run(["git", "diff", "--cached", "--quiet", "--", *present], cwd=repo).returncode == 0:
        return None
    identity = []
    for key, fallback in (("user.name", name), ("user.email", email)):
        configured = subprocess.run(["git", "config", key], cwd=repo, capture_output=True, text=True).stdout.strip()
        if not configured:
            identity += ["-c", f"{key}={fallback}"]
    output(*identity, "commit", "-q", "-m", message, "--", *present, repo=repo)  # only these, whatever else is staged
    return output("rev-parse", "HEAD", repo=repo).strip()
