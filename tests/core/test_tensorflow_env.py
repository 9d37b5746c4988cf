import ast
import os

import pytest

from hhforecast.core import stage, tensorflow_env
from tests.helpers import REPO, package_files, run_order

TENSORFLOW = ("tensorflow", "keras", "dvclive.keras")
STAGES = sorted(REPO.glob("stages/*.py"))
LIBRARY = sorted(REPO.glob("hhforecast/**/*.py"))


@pytest.mark.parametrize(
    ("before", "force", "after"),
    [
        ({}, False, {"TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "2"}),
        # The library (hh predict, hh serve, notebooks): oneDNN off unless the caller turned it on.
        (
            {"TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "0"},
            False,
            {"TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "0"},
        ),
        # A stage: oneDNN changes results' last bits, so off whatever the shell says; the log level is the caller's.
        (
            {"TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "0"},
            True,
            {"TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "0"},
        ),
        ({}, True, {"TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "2"}),
    ],
)
def test_configure_defaults_onednn_off_forces_it_for_stages_and_quiets_tensorflow(before, force, after):
    environ = dict(before)
    tensorflow_env.configure(environ, force=force)
    assert environ == after


def test_a_stage_runs_its_main_with_onednn_off_whatever_the_shell_says(monkeypatch):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    seen = []
    stage.run(lambda: seen.append(os.environ["TF_ENABLE_ONEDNN_OPTS"]), "test")
    assert seen == ["0"]


def imports_tensorflow(node: ast.stmt) -> bool:
    names = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return any(name == t or name.startswith(t + ".") for name in names for t in TENSORFLOW)


def configures(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and ast.unparse(node.value.func) in ("tensorflow_env.configure", "configure")
    )


def statements(body: list[ast.stmt]) -> list[str]:
    """ "import" for each import of TensorFlow/Keras in `body` (nested blocks too, in the order they run),
    "configure" for each call."""
    return [
        "import" if imports_tensorflow(node) else "configure"
        for node in run_order(body)
        if imports_tensorflow(node) or configures(node)
    ]


def bodies(path) -> list[list[ast.stmt]]:
    """The module's top level and every function's body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [tree.body] + [
        node.body for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]


def test_nested_imports_and_calls_are_seen_in_the_order_they_run():
    tree = ast.parse(
        "if x:\n    import keras\nelse:\n    pass\n"
        "try:\n    tensorflow_env.configure(force=True)\nexcept E:\n    from tensorflow import nn\n"
        "with a:\n    from dvclive.keras import DVCLiveCallback\n"
        "class C:\n    import tensorflow as tf\n"
        "def f():\n    import keras\n"
        "if TYPE_CHECKING:\n    import keras\n"
        "from dvclive import keras\n"
    )
    assert statements(tree.body) == ["import", "configure", "import", "import", "import", "import"]


@pytest.mark.parametrize(
    "path",
    sorted([*LIBRARY, *REPO.glob("benchmarks/*.py")]),
    ids=lambda p: p.relative_to(REPO).as_posix(),
)
def test_tensorflow_is_imported_where_configure_ran_first(path):
    module_configures = "configure" in statements(bodies(path)[0])
    for body in bodies(path):
        found = statements(body)
        if "import" in found:
            first = found.index("import")
            assert module_configures or "configure" in found[:first], f"{path}: TensorFlow imported before configure()"


def test_the_library_module_that_loads_tensorflow_configures_it_just_before():
    tree = ast.parse((REPO / "hhforecast/forecasting/keras_model.py").read_text(encoding="utf-8"))
    assert statements(tree.body)[:2] == ["configure", "import"]


@pytest.mark.parametrize("path", STAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_a_stage_loads_tensorflow_only_inside_main_after_run_forced_onednn_off(path):
    """`core.stage.run` forces oneDNN off before the stage's main: so nothing the stage runs on import may load
    TensorFlow (whatever TF_ENABLE_ONEDNN_OPTS the shell sets), and main must be run through it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert "import" not in statements(tree.body), f"{path}: imports TensorFlow before run()"
    loaded = package_files(path, on_import=True)
    assert "hhforecast/forecasting/keras_model.py" not in loaded, f"{path}: loads TensorFlow before run()"
    for file in sorted(loaded):
        assert "import" not in statements(ast.parse((REPO / file).read_text(encoding="utf-8")).body), (
            f"{path}: {file} imports TensorFlow when imported, before run()"
        )
    guard = tree.body[-1]
    assert isinstance(guard, ast.If) and ast.unparse(guard.test) == "__name__ == '__main__'", f"{path}: no main guard"
    (call,) = guard.body
    assert ast.unparse(call).startswith("run(main, "), f"{path}: main is not run through core.stage.run"
