"""README.md and README.pt-BR.md: the same sections, and numbers generated from the metrics."""

import re
import subprocess
import sys

from tests.helpers import REPO


def headings(text: str) -> list[tuple[int, str]]:
    """(level, title) of every markdown heading outside fenced code blocks."""
    found, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"(#{1,6}) (.+)", line)):
            found.append((len(match.group(1)), match.group(2)))
    return found


def test_headings_skip_code_blocks():
    assert headings("# A\n```bash\n# a comment\n```\n## B\n") == [(1, "A"), (2, "B")]


def test_the_portuguese_readme_has_the_same_section_structure():
    english = headings((REPO / "README.md").read_text(encoding="utf-8"))
    portuguese = headings((REPO / "README.pt-BR.md").read_text(encoding="utf-8"))
    assert [level for level, _ in portuguese] == [level for level, _ in english], (
        "README.pt-BR.md must have the sections of README.md, in order:\n"
        + "\n".join(f"{'#' * level} {title}" for level, title in english)
    )


def test_the_numbers_to_expect_are_generated_from_the_committed_metrics():
    result = subprocess.run(
        [sys.executable, str(REPO / "tools/expected.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "| test MAE (HH per week) |" in (REPO / "README.md").read_text(encoding="utf-8")
    assert "| MAE no teste (HH por semana) |" in (REPO / "README.pt-BR.md").read_text(encoding="utf-8")
