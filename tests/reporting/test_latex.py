"""Every thesis table and figure page compiles with a real LaTeX engine and fits the page (no overfull box).

Where no pdflatex is installed the tests skip, saying so; `make thesis-check` installs Debian's texlive and
sets HH_REQUIRE_LATEX=1, which turns a missing engine into a failure (CI does the same), and HH_THESIS_PDF_DIR,
where each compiled document is kept.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hhforecast.core import paths
from hhforecast.reporting import thesis
from tests.helpers import REPO, report_inputs

ENGINE = shutil.which("pdflatex")
if ENGINE is None and os.environ.get("HH_REQUIRE_LATEX") == "1":
    raise RuntimeError("HH_REQUIRE_LATEX=1 but no pdflatex is installed (make thesis-check installs it)")
pytestmark = pytest.mark.skipif(ENGINE is None, reason="no pdflatex installed (make thesis-check installs it)")

BABEL = {"pt": "brazil", "en": "english"}


def compile_folder(folder: Path, inputs: list[str], language: str) -> str:
    """pdflatex on a document that \\input's each file of `folder` in turn; the log, once it compiled."""
    body = "\n\\clearpage\n".join(f"\\input{{{name}}}" for name in inputs)
    (folder / "check.tex").write_text(
        "\\documentclass[a4paper,11pt]{article}\n\\usepackage[utf8]{inputenc}\n"
        f"\\usepackage[{BABEL[language]}]{{babel}}\n\\usepackage{{booktabs,graphicx}}\n"
        "\\usepackage[margin=2.5cm]{geometry}\n\\begin{document}\n" + body + "\n\\end{document}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [ENGINE or "pdflatex", "-interaction=nonstopmode", "-halt-on-error", "check.tex"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = (folder / "check.log").read_text(encoding="utf-8", errors="replace")
    assert done.returncode == 0, log[-3000:]
    assert (folder / "check.pdf").stat().st_size > 1000
    kept = os.environ.get("HH_THESIS_PDF_DIR")  # make thesis-check keeps the compiled pages for reading by eye
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / "check.pdf", Path(kept) / f"{folder.name}-{language}.pdf")
    return log


def overfull(log: str) -> list[str]:
    """The boxes LaTeX had to let run past the text width: a table or figure wider than the page."""
    return re.findall(r"Overfull \\hbox \((\d+\.\d+)pt too wide\)", log)


def written(folder: Path, files: dict[str, bytes | str]) -> list[str]:
    for name, content in files.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return sorted(name for name in files if name.endswith(".tex"))


@pytest.mark.parametrize("language", ["pt", "en"])
def test_every_table_made_from_small_inputs_compiles_within_the_page(tmp_path, language):
    folder = tmp_path / "small-inputs"
    folder.mkdir()
    tex = written(folder, thesis.table_files(report_inputs(), language, {n: "md5" for n in thesis.INPUTS}))
    assert "backtest_models.tex" in tex and "diebold_mariano.tex" in tex
    assert overfull(compile_folder(folder, tex, language)) == []


def test_the_committed_thesis_tables_and_figures_compile_within_the_page(tmp_path):
    folder = tmp_path / "thesis"
    shutil.copytree(REPO / paths.THESIS, folder)
    language = "pt" if "param report.language = pt" in (folder / "figures.tex").read_text() else "en"
    tex = sorted(p.name for p in folder.glob("*.tex"))
    assert "figures.tex" in tex  # the figure page too, with every figure's PDF
    assert overfull(compile_folder(folder, tex, language)) == []


def test_the_committed_study_tables_and_figure_compile_within_the_page(tmp_path):
    folder = tmp_path / "thesis-study"
    shutil.copytree(REPO / paths.STUDY_THESIS, folder)
    language = "pt" if "param report.language = pt" in (folder / "study.tex").read_text() else "en"
    log = compile_folder(folder, ["study.tex", "figures.tex"], language)
    assert overfull(log) == []


def test_a_table_too_wide_for_the_page_is_caught(tmp_path):
    wide = "\\begin{tabular}{" + "r" * 8 + "}\n" + " & ".join(["1234567890.123"] * 8) + " \\\\\n\\end{tabular}\n"
    folder = tmp_path / "too-wide"
    folder.mkdir()
    (folder / "wide.tex").write_text(wide)
    assert overfull(compile_folder(folder, ["wide.tex"], "en"))  # the check above can fail


def test_the_tables_of_a_dataset_brought_in_whole_without_a_truth_compile_within_the_page(tmp_path):
    folder = tmp_path / "own-dataset"
    folder.mkdir()
    read = report_inputs()
    no_truth = {
        k: v for k, v in read.evaluation.items() if k not in ("oracle", "expected_mae_ratio", "mae_ratio_to_oracle")
    }
    quality = {"source": "dataset", "dataset_path": "data/own/dataset_uti_vs_hh_semanal.csv", "weeks": 60}
    made = thesis.table_files(
        report_inputs(quality=quality, evaluation=no_truth), "pt", {n: "md5" for n in thesis.INPUTS}
    )
    assert "rejects_by_reason.tex" not in made
    assert overfull(compile_folder(folder, written(folder, made), "pt")) == []
