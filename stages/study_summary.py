"""Summarize the simulation study's worlds per family (study/dvc.yaml stage `summary`): metrics/study.json,
reports/study.md, the figure and the thesis's study table."""

from __future__ import annotations

import hashlib

from hhforecast.core import config, io, paths
from hhforecast.core.errors import ConfigError
from hhforecast.core.stage import run, say
from hhforecast.reporting import figures, thesis
from hhforecast.simulation import output, statistics, worlds


def main() -> None:
    params = config.load()
    settings = worlds.settings(params)
    files = [paths.study_block(family, first) for family in settings.families for first in settings.blocks]
    missing = [f.as_posix() for f in files if not f.exists()]
    if missing:
        raise ConfigError(
            f"no result for {len(missing)} block(s) of worlds: {', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}; run `make study` (dvc repro study/dvc.yaml)"
        )
    results = [world for f in files for world in io.read_json(f)["worlds"]]
    summary = io.rounded(statistics.summarize(results, list(settings.families)))
    io.write_json_atomic(summary, paths.STUDY)
    with io.atomic_path(paths.STUDY_REPORT) as tmp:
        tmp.write_text(output.markdown(summary), encoding="utf-8")
    with io.atomic_path(paths.STUDY_FIGURE) as tmp:
        tmp.write_bytes(figures.png(output.figure(summary)))
    # The thesis's study table: written here, beside the study, so the main pipeline never reads the study's output.
    digest = hashlib.md5(paths.STUDY.read_bytes()).hexdigest()
    table = thesis.study_table(
        summary,
        params.report.language,
        thesis.provenance({paths.STUDY.as_posix(): digest}, {"report.language": params.report.language}),
    )
    io.write_text_atomic(table, paths.STUDY_THESIS_TABLE)
    say("study", f"{len(results)} worlds in {len(settings.families)} families -> {paths.STUDY}, {paths.STUDY_REPORT}")


if __name__ == "__main__":
    run(main, "study")
