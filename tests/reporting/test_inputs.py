import hashlib

import pytest

from hhforecast.reporting import inputs

LOCK = {
    "stages": {
        "evaluate": {
            "outs": [{"path": "metrics/eval.json", "md5": "abc"}, {"path": "models/baselines", "md5": "d.dir"}]
        },
        "report": {"outs": ["not a mapping"]},
    }
}


@pytest.mark.parametrize(
    ("names", "recorded"),
    [
        (["metrics/eval.json", "metrics/study.json"], {"metrics/eval.json": "abc"}),
        (["models/baselines"], {"models/baselines": "d.dir"}),
        ([], {}),
    ],
)
def test_input_hashes_come_from_the_outputs_dvc_lock_records(names, recorded):
    assert inputs.input_hashes(LOCK, names) == recorded


def test_a_path_dvc_lock_lacks_is_hashed_from_its_file_or_its_folders_files(tmp_path):
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics/study.json").write_bytes(b"{}")
    plots = tmp_path / "dvclive/plots"
    (plots / "b").mkdir(parents=True)
    (plots / "a.tsv").write_bytes(b"one")
    (plots / "b/c.tsv").write_bytes(b"two")
    hashes = inputs.md5s(["metrics/eval.json", "metrics/study.json", "dvclive/plots"], LOCK, tmp_path)
    assert hashes == {
        "metrics/eval.json": "abc",
        "metrics/study.json": hashlib.md5(b"{}").hexdigest(),
        "dvclive/plots": hashlib.md5(b"onetwo").hexdigest(),  # the folder's files in sorted order
    }


def test_a_tree_without_dvc_lock_reads_as_an_empty_lock(tmp_path):
    assert inputs.read_lock(tmp_path) == {}
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\nstages:\n  join:\n    outs: []\n")
    assert inputs.read_lock(tmp_path) == {"schema": "2.0", "stages": {"join": {"outs": []}}}
