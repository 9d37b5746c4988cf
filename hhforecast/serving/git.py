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


def output(*args: str, repo: Path = Path(".")) -> str:
    """`git ARGS...`'s standard output, run in `repo`."""
    command = ["git", *args]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    if result.returncode != 0:
        raise GitError(command, result.stderr)
    return result.stdout
