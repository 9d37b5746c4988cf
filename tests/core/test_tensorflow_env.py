import ast

import pytest

from hhforecast.core import tensorflow_env
from tests.helpers import REPO

TENSORFLOW = ("tensorflow", "keras", "dvclive.keras")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({}, {"TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "2"}),
        # oneDNN changes results' last bits: off whatever the shell says; the log level is the caller's to raise.
        (
            {"TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "0"},
            {"TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "0"},
        ),
    ],
)
def test_configure_forces_onednn_off_and_quiets_tensorflow_by_default(before, after):
    environ = dict(before)
    tensorflow_env.configure(environ)
    assert environ == after


def statements(body: list[ast.stmt]) -> list[str]:
    """ "import" for each import of TensorFlow/Keras in `body` (not nested deeper), "configure" for each call."""
    found = []
    for node in body:
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        if any(name == t or name.startswith(t + ".") for name in names for t in TENSORFLOW):
            found.append("import")
        if isinstance(node, ast.Expr) and ast.unparse(node) == "tensorflow_env.configure()":
            found.append("configure")
    return found


def bodies(path) -> list[list[ast.stmt]]:
    """The module's top level and every function's body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [tree.body] + [node.body for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]


@pytest.mark.parametrize(
    "path",
    sorted([*REPO.glob("stages/*.py"), *REPO.glob("hhforecast/**/*.py"), *REPO.glob("benchmarks/*.py")]),
    ids=lambda p: p.relative_to(REPO).as_posix(),
)
def test_tensorflow_is_imported_where_configure_ran_first(path):
    module_configures = "configure" in statements(bodies(path)[0])
    for body in bodies(path):
        found = statements(body)
        if "import" in found:
            first = found.index("import")
            assert module_configures or "configure" in found[:first], f"{path}: TensorFlow imported before configure()"


@pytest.mark.parametrize(
    ("path", "function"),
    [("hhforecast/forecasting/keras_model.py", None), ("stages/train.py", "main")],
)
def test_the_places_that_load_tensorflow_configure_it_just_before(path, function):
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    body = tree.body if function is None else next(n.body for n in tree.body if getattr(n, "name", None) == function)
    assert statements(body)[:2] == ["configure", "import"]
