"""dvc.yaml lists, for every stage, each hhforecast module its script imports, directly or not.

A package's directory (hhforecast/synth) covers every module in it: DVC hashes the whole tree.

Otherwise an edit to a module can leave a stage's outputs stale while `dvc status` says all is well.
"""
from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "hhforecast"


def _module_file(name: str) -> Path | None:
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    path = ROOT.joinpath(*parts)
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def _absolute(path: Path, level: int, module: str | None) -> str:
    """The module a `from` import names; a relative one (`from .x import y`) counts from the file's package."""
    if level == 0:
        return module or ""
    return importlib.util.resolve_name("." * level + (module or ""), ".".join(path.parent.relative_to(ROOT).parts))


def _imported(path: Path) -> set[str]:
    """Module names a file imports, anywhere in it (imports inside functions count: they run too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (module := _absolute(path, node.level, node.module)):
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return names


def package_files(script: Path) -> set[str]:
    """Every hhforecast file a script loads, transitively, as repository paths (the package's __init__ too)."""
    seen: set[Path] = set()
    todo = [script]
    while todo:
        for name in _imported(todo.pop()):
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ first
                found = _module_file(".".join(parts[:depth]))
                if found is not None and found not in seen:
                    seen.add(found)
                    todo.append(found)
    return {p.relative_to(ROOT).as_posix() for p in seen}


STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def _script(stage: dict) -> Path:
    match = re.search(r"python (stages/\S+\.py)", stage["cmd"])
    assert match, f"stage command does not run a stage script: {stage['cmd']}"
    return ROOT / match.group(1)


def _covered(path: str, deps: set[str]) -> bool:
    """A file is listed itself or under a listed directory."""
    return any(path == dep or path.startswith(dep.rstrip("/") + "/") for dep in deps)


@pytest.mark.parametrize("name", sorted(STAGES))
def test_dvc_yaml_lists_every_module_a_stage_imports(name):
    stage = STAGES[name]
    script = _script(stage)
    deps = {d if isinstance(d, str) else next(iter(d)) for d in stage["deps"]}
    assert script.relative_to(ROOT).as_posix() in deps, f"{name}: its own script is not a dependency"
    missing = sorted(path for path in package_files(script) if not _covered(path, deps))
    assert not missing, f"dvc.yaml stage '{name}' lacks deps: {missing}"


def test_the_walk_follows_imports_transitively():
    # stages/aggregate.py imports only `aggregate`, `config`, ...; config imports contract and errors.
    files = package_files(ROOT / "stages" / "aggregate.py")
    assert {"hhforecast/aggregate.py", "hhforecast/config.py", "hhforecast/contract.py",
            "hhforecast/errors.py", "hhforecast/__init__.py"} <= files


def test_the_walk_enters_a_package_and_its_directory_covers_it():
    # generate imports `synth`, a package whose modules import one another by absolute name.
    files = package_files(ROOT / "stages" / "generate.py")
    inside = {f for f in files if f.startswith("hhforecast/synth/")}
    assert {"hhforecast/synth/__init__.py", "hhforecast/synth/world.py", "hhforecast/synth/export.py"} <= inside
    assert all(_covered(f, {"hhforecast/synth"}) for f in inside)
    assert not _covered("hhforecast/synthesis.py", {"hhforecast/synth"})


def test_relative_imports_count_from_the_files_package():
    world = ROOT / "hhforecast" / "synth" / "world.py"
    assert _absolute(world, 1, "defects") == "hhforecast.synth.defects"
    assert _absolute(world, 2, None) == "hhforecast"
    assert _absolute(world, 0, "numpy") == "numpy"
