"""TensorFlow's process environment, in one place: `configure()` runs before TensorFlow is first imported.

`forecasting.keras_model` (the library's one importer of TensorFlow) calls it before its import, and so
does the train stage before `dvclive.keras` imports Keras; the stages, the `hh` command, the tests, the
study's workers and the benchmarks all reach TensorFlow through one of the two, so no command line, Makefile
or test has to set these variables.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

# oneDNN's fused kernels change the last bits of results: off, always, so the outputs stay byte-stable
# whatever the caller's shell exports.
FORCED = {"TF_ENABLE_ONEDNN_OPTS": "0"}
# TensorFlow's C++ start-up chatter hidden, its warnings and errors still shown; a caller may ask for more.
DEFAULTS = {"TF_CPP_MIN_LOG_LEVEL": "2"}


def configure(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set TensorFlow's variables in `environ` (the process's own by default); call before importing it."""
    environ.update(FORCED)
    for name, value in DEFAULTS.items():
        environ.setdefault(name, value)
