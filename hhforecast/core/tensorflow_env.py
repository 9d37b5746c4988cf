"""TensorFlow's process environment, in one place: `configure()` runs before TensorFlow is first imported.

In the library, `forecasting.keras_model` imports TensorFlow and Keras, at its top, just after `configure()`;
everything else reaches them through it (lazily, inside the functions that fit, load or save a network). The
train stage's `dvclive.keras` imports Keras too, inside the stage's `main`.

The library (`hh predict`, `hh serve`, notebooks, tests) turns oneDNN off only where the caller's environment
leaves it unset. A DVC stage forces it off (`core.stage.run` calls `configure(force=True)` before the stage's
`main`, and no stage loads TensorFlow on import), so the pipeline's outputs stay byte-stable whatever the shell
exports; the loky workers of the backtest and the study inherit the stage's environment. No command line,
Makefile or test has to set these variables.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

# oneDNN's fused kernels change the last bits of results: off unless the caller turns it on; a stage forces it off.
ONEDNN = {"TF_ENABLE_ONEDNN_OPTS": "0"}
# TensorFlow's C++ start-up chatter hidden, its warnings and errors still shown; a caller may ask for more.
DEFAULTS = {"TF_CPP_MIN_LOG_LEVEL": "2"}


def configure(environ: MutableMapping[str, str] = os.environ, force: bool = False) -> None:
    """Set TensorFlow's variables in `environ` (the process's own by default) where unset; call before importing
    it. `force` (the stages) turns oneDNN off even where the environment turned it on."""
    if force:
        environ.update(ONEDNN)
    for name, value in {**ONEDNN, **DEFAULTS}.items():
        environ.setdefault(name, value)
