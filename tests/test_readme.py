"""README.md, README.pt-BR.md and docs/: a short README that starts with the two commands and lists every
doc, a Portuguese twin of each page with the same sections, and every command the pages show exists."""

from __future__ import annotations

import re

import pytest

from tests.helpers import REPO

DOCS = ("study.md", "operations.md", "reproducibility.md", "own-data.md", "design.md")
READMES = {"README.md": "docs/", "README.pt-BR.md": "docs/pt-BR/"}
TWINS = [("README.md", "README.pt-BR.md"), *[(f"docs/{name}", f"docs/pt-BR/{name}") for name in DOCS]]
PAGES = [page for pair in TWINS for page in pair]


def read(name: str) -> str:
    return (REPO / name).read_text(encoding="utf-8")


def headings(text: str) -> list[tuple[int, str]]:
    """(level, title) of every markdown heading outside fenced code blocks."""
    found, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"(#{1,6}) (.+)", line)):
            found.append((len(match.group(1)), match.group(2)))
    return found


def shown_code(text: str) -> list[str]:
    """What a page shows as code: inline code spans and the lines of fenced blocks."""
    lines, fenced, prose = [], False, []
    for line in text.splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
        elif fenced:
            lines.append(line)
        else:
            prose.append(line)
    return lines + re.findall(r"`([^`\n]+)`", "\n".join(prose))


def commands(text: str, program: str) -> set[str]:
    """The first word after `program` (`make`, `hh`) wherever the page shows it as code."""
    found = set()
    for code in shown_code(text):
        found |= set(re.findall(rf"(?<![\w/.-]){program} ([a-z][\w-]*)", code.replace(".venv/bin/", "")))
    return found


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):", read("Makefile"), re.M))


def hh_commands() -> set[str]:
    return set(re.findall(r'add_parser\(\s*"([\w-]+)"', read("hhforecast/cli.py")))


def test_headings_skip_code_blocks():
    assert headings("# A\n```bash\n# a comment\n```\n## B\n") == [(1, "A"), (2, "B")]


@pytest.mark.parametrize(
    ("text", "program", "found"),
    [
        ("Run `make repro`, then make sure it worked.", "make", {"repro"}),
        ("```bash\nmake study   # all worlds\n.venv/bin/hh monitor --notify\n```\n", "make", {"study"}),
        ("```bash\nmake study\n.venv/bin/hh monitor --notify\n```\n", "hh", {"monitor"}),
        ("make turns every failing status into 2; hh-model@v1.2.0 is a tag", "make", set()),
        ("`hh-model@v1.2.0` and `git tag hh model`", "hh", {"model"}),
    ],
)
def test_commands_are_read_from_code_only(text, program, found):
    assert commands(text, program) == found


@pytest.mark.parametrize(("english", "portuguese"), TWINS)
def test_each_portuguese_page_has_the_sections_of_its_english_twin(english, portuguese):
    levels = [level for level, _ in headings(read(english))]
    assert [level for level, _ in headings(read(portuguese))] == levels, (
        f"{portuguese} must have the sections of {english}, in order:\n"
        + "\n".join(f"{'#' * level} {title}" for level, title in headings(read(english)))
    )


@pytest.mark.parametrize("readme", READMES)
def test_the_readme_is_short_and_starts_with_the_two_commands(readme):
    text = read(readme)
    assert len(text.splitlines()) <= 250, f"{readme} has {len(text.splitlines())} lines; move detail to docs/"
    first_code = re.search(r"```bash\n(.*?)```", text, re.S)
    assert first_code, f"{readme} shows no command"
    assert [line.split()[:2] for line in first_code.group(1).splitlines()] == [["make", "repro"], ["make", "test"]]
    for results in ("reports/report.html", "reports/results.md"):
        assert f"`{results}`" in text, f"{readme} does not say that the results appear in {results}"


@pytest.mark.parametrize(("readme", "folder"), READMES.items())
def test_the_readme_lists_every_doc_in_its_language(readme, folder):
    listed = set(re.findall(rf"\]\({re.escape(folder)}([\w-]+\.md)\)", read(readme)))
    assert listed == set(DOCS), f"{readme} must link every page of {folder}: {sorted(set(DOCS) - listed)} missing"
    on_disk = {p.name for p in (REPO / folder).glob("*.md")}
    assert on_disk == set(DOCS), f"{folder} holds pages no README lists: {sorted(on_disk - set(DOCS))}"


@pytest.mark.parametrize("page", PAGES)
def test_every_make_target_shown_exists(page):
    missing = commands(read(page), "make") - make_targets()
    assert not missing, f"{page} shows make targets the Makefile lacks: {sorted(missing)}"


@pytest.mark.parametrize("page", PAGES)
def test_every_hh_command_shown_exists(page):
    missing = commands(read(page), "hh") - hh_commands()
    assert not missing, f"{page} shows hh commands the CLI lacks: {sorted(missing)}"


@pytest.mark.parametrize("page", PAGES)
def test_every_python_module_shown_exists(page):
    modules = {m for code in shown_code(read(page)) for m in re.findall(r"python -m ([\w.]+)", code)}
    missing = [m for m in modules if not (REPO / (m.replace(".", "/") + ".py")).is_file()]
    assert not missing, f"{page} runs modules that do not exist: {sorted(missing)}"


def test_the_portuguese_design_lists_the_packages_in_the_layering_order():
    english = re.findall(r"^\d+\. `(\w+)`:", read("docs/design.md"), re.M)
    portuguese = re.findall(r"^\d+\. `(\w+)`:", read("docs/pt-BR/design.md"), re.M)
    assert english and portuguese == english, "docs/pt-BR/design.md lists the packages in another order"
