"""Fixtures shared across test packages; plain helpers live in tests/helpers.py."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

# gto configures logging on import (see tests/helpers.py): imported before anything imports TensorFlow.
import gto.api  # noqa: F401
import pytest

from hhforecast.core import config
from tests.helpers import REPO, make_bundle


@pytest.fixture(scope="session")
def params() -> config.Params:
    return config.load(REPO / "params.yaml")


@pytest.fixture(scope="session")
def bundle_root(tmp_path_factory) -> Path:
    return make_bundle(tmp_path_factory.mktemp("bundle"))


@pytest.fixture()
def receiver():
    """A JSON webhook on 127.0.0.1: every POST body lands in the list it yields with its URL."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()


# `--dist loadfile` hands each worker whole files in collection order. The longest files (fresh clones that run
# the whole pipeline, or a replay of it: minutes each) go first, longest first, then the other files with slow
# tests, so that neither worker is left alone with a long file at the end while the other core idles.
LONGEST_FILES = ("tests/ops/test_replay.py", "tests/test_pipeline.py", "tests/test_own_dataset_pipeline.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def order(item: pytest.Item) -> tuple[int, bool]:
        file = item.nodeid.split("::")[0]
        rank = LONGEST_FILES.index(file) if file in LONGEST_FILES else len(LONGEST_FILES)
        return rank, item.get_closest_marker("slow") is None

    items.sort(key=order)
