"""Both pipelines (dvc.yaml, study/dvc.yaml) list, for every stage, exactly the hhforecast code its script loads.

A stage lists a package's directory when it loads more than half of that package's modules (DVC hashes the
whole tree), and the modules themselves otherwise. A dep the script never loads, a dep listed twice, or a
module left out is an error: a missing one leaves outputs stale while `dvc status` says all is well, and an
extra one re-runs a stage for an edit that cannot change it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.helpers import PACKAGE, absolute_module, package_files
from tests.helpers import REPO as ROOT

PIPELINES = ("dvc.yaml", "study/dvc.yaml")


def expected_deps(files: set[str]) -> set[str]:
    """The minimal listing of `files`: a subpackage's directory where more than half its modules are loaded."""
    by_package: dict[str, set[str]] = {}
    for path in files:
        parts = path.split("/")
        by_package.setdefault("/".join(parts[:2]) if len(parts) > 2 else path, set()).add(path)
    deps: set[str] = set()
    for home, loaded in by_package.items():
        if home.endswith(".py"):
            deps.add(home)
            continue
        modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / home).glob("*.py")}
        deps |= {home} if 2 * len(loaded) > len(modules) else loaded
    return deps


def _stages() -> list[tuple[str, str, dict]]:
    return [
        (pipeline, name, stage)
        for pipeline in PIPELINES
        for name, stage in yaml.safe_load((ROOT / pipeline).read_text(encoding="utf-8"))["stages"].items()
    ]


def _script(stage: dict) -> Path:
    match = re.search(r"python (stages/\S+\.py)", stage["cmd"])
    assert match, f"stage command does not run a stage script: {stage['cmd']}"
    return ROOT / match.group(1)


def _dep_names(stage: dict) -> list[str]:
    return [d if isinstance(d, str) else next(iter(d)) for d in stage["deps"]]


@pytest.mark.parametrize(("pipeline", "name", "stage"), _stages(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_stage_lists_exactly_the_code_it_loads(pipeline, name, stage):
    script = _script(stage)
    listed = _dep_names(stage)
    twice = sorted(dep for dep, count in Counter(listed).items() if count > 1)
    assert not twice, f"{pipeline} stage '{name}' lists deps twice: {twice}"
    assert script.relative_to(ROOT).as_posix() in listed, f"{pipeline} stage '{name}': its own script is not a dep"
    code = {dep.rstrip("/") for dep in listed if dep.startswith(PACKAGE + "/")}
    wanted = expected_deps(package_files(script))
    assert not sorted(wanted - code), f"{pipeline} stage '{name}' lacks deps: {sorted(wanted - code)}"
    assert not sorted(code - wanted), f"{pipeline} stage '{name}' lists code it never loads: {sorted(code - wanted)}"


def test_the_walk_follows_imports_transitively():
    # stages/aggregate.py imports dataprep.aggregate and core; core.config imports core.contract and core.errors.
    files = package_files(ROOT / "stages" / "aggregate.py")
    assert {
        "hhforecast/dataprep/aggregate.py",
        "hhforecast/core/config.py",
        "hhforecast/core/contract.py",
        "hhforecast/core/errors.py",
        "hhforecast/__init__.py",
        "hhforecast/core/__init__.py",
    } <= files


CORE = {p.relative_to(ROOT).as_posix() for p in (ROOT / "hhforecast" / "core").glob("*.py")}


@pytest.mark.parametrize(
    ("loaded", "listed"),
    [
        (
            {"hhforecast/__init__.py", "hhforecast/core/__init__.py", "hhforecast/core/errors.py"},
            {"hhforecast/__init__.py", "hhforecast/core/__init__.py", "hhforecast/core/errors.py"},
        ),
        (CORE | {"hhforecast/__init__.py"}, {"hhforecast/core", "hhforecast/__init__.py"}),
        ({"hhforecast/cli.py"}, {"hhforecast/cli.py"}),
    ],
)
def test_a_package_is_listed_as_its_directory_past_half_its_modules(loaded, listed):
    assert expected_deps(loaded) == listed


@pytest.mark.parametrize(
    ("level", "module", "absolute"),
    [
        (1, "defects", "hhforecast.synth.defects"),
        (2, None, "hhforecast"),
        (0, "numpy", "numpy"),
    ],
)
def test_relative_imports_count_from_the_files_package(level, module, absolute):
    assert absolute_module(ROOT / "hhforecast" / "synth" / "world.py", level, module) == absolute
