"""Build reports/report.html (self-contained), reports/figures/*.png and reports/thesis/ from the pipeline's outputs."""

from __future__ import annotations

from hhforecast.core import config, io, paths
from hhforecast.core.stage import run, say
from hhforecast.reporting import inputs, report, thesis


def main() -> None:
    params = config.load()
    read = inputs.read()
    rendered = report.figure_set(read, params.monitor)
    for name, (data, _) in rendered.items():
        with io.atomic_path(paths.FIGURES / f"{name}.png") as tmp:
            tmp.write_bytes(data)
    page = report.page(read, rendered)
    io.write_text_atomic(page, paths.REPORT)
    say("report", f"{paths.REPORT} ({len(page) / 1024:.0f} KiB) and {len(rendered)} figures in {paths.FIGURES}/")
    language = params.report.language
    written = thesis.files(read, language, inputs.md5s(thesis.INPUTS, inputs.read_lock()), params.monitor)
    for name, content in written.items():
        with io.atomic_path(paths.THESIS / name) as tmp:
            tmp.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    say("report", f"{len(written)} thesis files ({language}) in {paths.THESIS}/")


if __name__ == "__main__":
    run(main, "report")
