"""No file of the repository cites a file that is not in it: the markdown links of README*.md and docs/ (and
their #anchors), and the source paths that pages, docstrings and comments name."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from tests.helpers import REPO

PAGES = sorted([*REPO.glob("README*.md"), *REPO.glob("docs/**/*.md")])
CODE = sorted(p for folder in ("hhforecast", "stages", "benchmarks", "tests") for p in (REPO / folder).rglob("*.py"))
CONFIG = [REPO / name for name in ("dvc.yaml", "study/dvc.yaml", "params.yaml", "Makefile", "pyproject.toml")]
# Folders of source and documentation: a path into them names a committed file. Pipeline outputs (data/, models/,
# metrics/, reports/, dvclive/) are made by a run, and are not checked here.
SOURCE_ROOTS = ("hhforecast", "stages", "tests", "docs", "benchmarks", "notebooks", "study", "tools")
PATH = re.compile(rf"(?<![\w/.-])((?:{'|'.join(SOURCE_ROOTS)})/[\w./-]*[\w/])")
MARKDOWN_FILE = re.compile(r"(?<![\w/.-])([\w.-]+\.md)\b")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def slug(title: str) -> str:
    """The anchor a markdown heading gets: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    found, fenced, seen = set(), False, {}
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"#{1,6} (.+)", line)):
            name = slug(match.group(1))
            found.add(name if name not in seen else f"{name}-{seen[name]}")
            seen[name] = seen.get(name, 0) + 1
    return found


def missing_paths(text: str, here: Path) -> list[str]:
    """Source paths and .md names in `text` found neither from the repository root nor from `here` (a bare .md
    name may also be a page of docs/ or a markdown output the pipeline commits in reports/)."""
    missing = []
    for token in {*PATH.findall(text), *MARKDOWN_FILE.findall(text)}:
        if any(c in token for c in "*<>{}") or token.startswith("."):
            continue
        if not any((folder / token).exists() for folder in (REPO, here, REPO / "docs", REPO / "reports")):
            missing.append(token)
    return sorted(missing)


def broken_links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text(encoding="utf-8")):
            broken.append(target)
    return broken


def commentary(path: Path) -> str:
    """A Python file's docstrings and comments: what it says in prose."""
    source = path.read_text(encoding="utf-8")
    parts = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            parts.append(ast.get_docstring(node) or "")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            parts.append(token.string)
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("title", "anchor"),
    [
        ("Forecasts from the command line — `hh predict`", "forecasts-from-the-command-line--hh-predict"),
        ("The docs' numbers", "the-docs-numbers"),
        ("Funções puras e entrada e saída", "funções-puras-e-entrada-e-saída"),
        ("Registry, promotion, rollback — `hh promote`", "registry-promotion-rollback--hh-promote"),
    ],
)
def test_a_heading_gets_the_anchor_a_markdown_renderer_gives_it(title, anchor):
    assert slug(title) == anchor


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("see NOTES.md, part 2", ["NOTES.md"]),
        (
            "in `hhforecast/simulation/study.py` and tests/test_study.py",
            ["hhforecast/simulation/study.py", "tests/test_study.py"],
        ),
        ("`hhforecast/core/config.py`, docs/design.md, `metrics/study/<family>.json`, data/raw/x.csv", []),
        ("`stages/*.py` and `hhforecast/` and README.md", []),
    ],
)
def test_a_missing_path_is_found(text, missing):
    assert missing_paths(text, REPO) == missing


def test_a_broken_link_or_anchor_is_found(tmp_path):
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n## The part\n", encoding="utf-8")
    page.write_text(
        "# Page\n[ok](other.md#the-part) [ok](#page) [web](https://example.com)\n"
        "[gone](gone.md) [no anchor](other.md#nowhere) [nor here](#nowhere)\n",
        encoding="utf-8",
    )
    assert broken_links(page) == ["gone.md", "other.md#nowhere", "#nowhere"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_link_of_a_page_leads_somewhere(page):
    assert not broken_links(page), f"{page.relative_to(REPO)}: broken links {broken_links(page)}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_file_a_page_names_is_in_the_repository(page):
    missing = missing_paths(page.read_text(encoding="utf-8"), page.parent)
    assert not missing, f"{page.relative_to(REPO)} names files the repository lacks: {missing}"


@pytest.mark.parametrize("path", CODE + CONFIG, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_file_the_code_names_in_prose_is_in_the_repository(path):
    text = commentary(path) if path.suffix == ".py" else "\n".join(re.findall(r"#.*", path.read_text("utf-8")))
    missing = missing_paths(text, path.parent)
    assert not missing, f"{path.relative_to(REPO)} names files the repository lacks in its prose: {missing}"
