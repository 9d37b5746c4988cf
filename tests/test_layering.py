"""The packages import only downwards, in the order docs/design.md states; each __init__ says the same."""

from __future__ import annotations

import ast
import re

import pytest

from tests.helpers import REPO, imported_modules

DESIGN = REPO / "docs" / "design.md"
LIBRARY = REPO / "hhforecast"
TOP_LEVEL = {"__init__": -1, "cli": 10**6, "forecasters": 10**6}  # imports nothing; above every package


def design_order(text: str) -> list[str]:
    block = re.search(r"<!-- layering[^>]*-->(.*?)<!-- /layering -->", text, re.S)
    assert block, "docs/design.md has no <!-- layering --> block"
    return re.findall(r"^\d+\. `(\w+)`", block.group(1), re.M)


ORDER = design_order(DESIGN.read_text(encoding="utf-8"))
RANK = {package: rank for rank, package in enumerate(ORDER)}


def rank_of(module: str) -> int:
    """Where a module `hhforecast.x[.y]` sits: its package's place, or a top-level module's."""
    name = module.split(".")[1]
    return RANK[name] if name in RANK else TOP_LEVEL[name]


def upward_imports(path) -> list[str]:
    """`hhforecast` modules a file imports from a package above its own."""
    here = rank_of(".".join(path.relative_to(REPO).with_suffix("").parts))
    return sorted(
        name
        for name in imported_modules(path)
        if name.startswith("hhforecast.")
        and (name.split(".")[1] in RANK or name.split(".")[1] in TOP_LEVEL)
        and rank_of(name) > here
    )


def test_the_design_lists_every_package_once():
    packages = sorted(p.name for p in LIBRARY.iterdir() if (p / "__init__.py").is_file())
    assert sorted(ORDER) == packages and len(ORDER) == len(set(ORDER))
    assert sorted(p.stem for p in LIBRARY.glob("*.py")) == sorted(TOP_LEVEL)


@pytest.mark.parametrize("path", sorted(LIBRARY.rglob("*.py")), ids=lambda p: p.relative_to(LIBRARY).as_posix())
def test_no_module_imports_a_package_above_its_own(path):
    assert not upward_imports(path), f"{path.relative_to(REPO)} imports upwards: {upward_imports(path)}"


@pytest.mark.parametrize("package", ORDER)
def test_each_package_docstring_names_what_it_may_import(package):
    doc = ast.get_docstring(ast.parse((LIBRARY / package / "__init__.py").read_text(encoding="utf-8"))) or ""
    line = re.search(r"^May import: (.*)\.$", doc, re.M)
    assert line, f"hhforecast/{package}/__init__.py does not say what it may import"
    below = ORDER[: RANK[package]]
    assert line.group(1) == (", ".join(below) if below else "nothing else in hhforecast")


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("x\n<!-- layering -->\n1. `core`: a\n2. `dataprep`: b\n<!-- /layering -->\n", ["core", "dataprep"]),
        ("<!-- layering -->\n1. `core`\n- `not_a_step`\n<!-- /layering -->", ["core"]),
    ],
)
def test_the_order_is_read_from_the_numbered_list(text, order):
    assert design_order(text) == order


def test_an_upward_import_is_found(tmp_path, monkeypatch):
    module = LIBRARY / "core" / "errors.py"
    monkeypatch.setattr("tests.test_layering.imported_modules", lambda path: {"hhforecast.serving.api"})
    assert upward_imports(module) == ["hhforecast.serving.api"]
