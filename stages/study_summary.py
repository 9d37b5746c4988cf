"""Summarize the simulation study's worlds per family (study/dvc.yaml stage `summary`): metrics/study.json,
reports/study.md, the figure, and the thesis's study tables and figure (reports/thesis-study/)."""

from __future__ import annotations

from hhforecast.core import config, io, paths
from hhforecast.core.stage import run, say
from hhforecast.reporting import inputs
from hhforecast.simulation import output, statistics


def main() -> None:
    params = config.load()
    study = config.study_section(params)
    results = statistics.world_results(io.read_json(f) for f in statistics.block_files(study))
    summary = io.rounded(statistics.summarize(results, list(study.families)))
    io.write_json_atomic(summary, paths.STUDY)
    io.write_text_atomic(output.markdown(summary), paths.STUDY_REPORT)
    with io.atomic_path(paths.STUDY_FIGURE) as tmp:
        tmp.write_bytes(output.figure_png(summary))
    language = params.report.language
    for name, content in output.thesis_files(summary, language, inputs.file_md5(paths.STUDY)).items():
        with io.atomic_path(paths.STUDY_THESIS / name) as tmp:
            tmp.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    say("study", f"{len(results)} worlds in {len(study.families)} families -> {paths.STUDY}, {paths.STUDY_REPORT}")


if __name__ == "__main__":
    run(main, "study")
