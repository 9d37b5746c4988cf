"""Write reports/results.md, the results table and its sentences, from metrics/eval.json."""

from __future__ import annotations

from hhforecast.core import io, paths
from hhforecast.core.stage import run, say
from hhforecast.evaluation import results


def main() -> None:
    text = results.markdown(io.read_json(paths.EVAL))
    io.write_text_atomic(text, paths.RESULTS)
    say("results", f"{paths.RESULTS}: {text.count(chr(10))} lines")


if __name__ == "__main__":
    run(main, "results")
