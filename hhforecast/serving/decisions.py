"""The decision log: one dated line per promotion or rollback, with its reason."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

from hhforecast.core import paths

HEADER = "# Model decisions\n\nOne line per promotion or rollback (`hh promote`, `hh rollback`), newest last.\n\n"


def append(repo: Path, action: str, subject: str, reason: str, when: dt.datetime | None = None) -> str:
    from hhforecast.serving import store

    when = when or store.now()  # a replay's promotions are dated on its Mondays
    line = f"- {when:%Y-%m-%d %H:%M} UTC — **{action}** {subject} by {_who()}: {reason.strip() or 'no reason given'}\n"
    path = repo / paths.DECISIONS
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(HEADER, encoding="utf-8")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line)
    return line


def read(repo: Path) -> list[str]:
    path = repo / paths.DECISIONS
    return (
        [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("- ")]
        if path.exists()
        else []
    )


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
