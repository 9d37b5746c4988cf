"""Data and models travel through a DVC remote: push, fresh clone, pull, identical bytes.

Run against a local-directory remote and against an S3 remote (dvc-s3) served by a
local S3-compatible server on loopback that the test starts and stops.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

from hhforecast.core import paths
from hhforecast.serving import bundle
from tests.helpers import free_port, git_dvc_repo, make_bundle, sh

pytestmark = pytest.mark.slow

DVC = str(Path(sys.executable).parent / "dvc")
TRACKED = [str(p) for p in (*bundle.BUNDLE_FILES, paths.MODEL_METADATA)]


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    """A git + DVC repository with a trained model tracked by DVC."""
    repo = git_dvc_repo(tmp_path_factory.mktemp("origin"))
    make_bundle(repo, seed=0, epochs=2)
    sh(repo, DVC, "add", "-q", *TRACKED)
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", "model")
    return repo


def round_trip(origin: Path, clone: Path, env=None) -> None:
    sh(origin, DVC, "push", "-q", env=env)
    sh(clone.parent, "git", "clone", "-q", str(origin), str(clone))
    if env is None:
        assert not (clone / paths.MODEL).exists()
    sh(clone, DVC, "pull", "-q", env=env)
    status = sh(clone, DVC, "status", env=env)
    assert "up to date" in status or status.strip() == "", status
    for path in TRACKED:
        assert (clone / path).read_bytes() == (origin / path).read_bytes(), path
    bundle.load_workspace(clone)  # the pulled bundle passes its sha256 checks


def test_local_directory_remote_round_trip(origin, tmp_path):
    storage = tmp_path / "storage"
    sh(origin, DVC, "remote", "add", "-f", "-d", "local", str(storage))
    sh(origin, "git", "commit", "-qam", "local remote")
    round_trip(origin, tmp_path / "clone")
    assert any(storage.rglob("*"))


@pytest.fixture
def s3_server():
    from moto import server as moto_server

    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_s3_remote_round_trip_with_credentials_outside_git(origin, tmp_path, s3_server):
    import boto3

    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket="hh-forecast")
    sh(origin, DVC, "remote", "add", "-f", "-d", "s3", "s3://hh-forecast/dvcstore")
    sh(origin, DVC, "remote", "modify", "s3", "endpointurl", s3_server)
    sh(origin, "git", "commit", "-qam", "s3 remote")
    config = (origin / ".dvc" / "config").read_text()
    assert "testing" not in config and "secret" not in config
    clone = tmp_path / "clone-s3"
    round_trip(origin, clone, env=env)
    objects = s3.list_objects_v2(Bucket="hh-forecast")
    assert objects["KeyCount"] >= len(TRACKED)
    shutil.rmtree(clone)
