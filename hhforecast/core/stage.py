"""Run a stage's main(): oneDNN off first, whatever the shell exports; a contract or config problem is one line
on stderr and exit status 1."""

from __future__ import annotations

import sys
from collections.abc import Callable

from hhforecast.core import tensorflow_env
from hhforecast.core.errors import HHForecastError


def run(main: Callable[[], None], name: str) -> None:
    # Before main() can load TensorFlow (no stage loads it on import): the pipeline's outputs stay byte-stable.
    tensorflow_env.configure(force=True)
    try:
        main()
    except HHForecastError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


def say(name: str, message: str) -> None:
    """A progress line on stderr, so stdout stays clean for piping."""
    print(f"{name}: {message}", file=sys.stderr, flush=True)
