"""Atomic, byte-stable file output.

Every writer goes through a temporary file in the target folder and
`os.replace`, so a failing stage never leaves a half-written output behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

_UMASK = os.umask(0o022)
os.umask(_UMASK)

# The DOS epoch: the earliest time a zip entry can carry, and so a fixed one.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs get the usual permissions
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_json_atomic(data: Any, path: str | Path) -> None:
    write_text_atomic(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", path)


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_csv_atomic(frame: pd.DataFrame, path: str | Path, float_format: str = "%.6f") -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format=float_format, lineterminator="\n")


def write_parquet_atomic(frame: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")


def read_parquet(path: str | Path) -> pd.DataFrame:
    return pd.read_parquet(path, engine="pyarrow")


def normalize_zip(
    path: str | Path,
    transform: Callable[[str, bytes], bytes] | None = None,
) -> None:
    """Rewrite a zip archive so its bytes depend only on its members' contents.

    Members are sorted, stamped with the DOS epoch and deflated at a fixed level;
    `transform(name, data)` may rewrite a member (e.g. drop a save timestamp).
    Used for xlsx workbooks and `.keras` models, whose writers stamp the clock.
    """
    path = Path(path)
    with zipfile.ZipFile(path) as source:
        members = sorted((info.filename, source.read(info)) for info in source.infolist())
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as target:
        for name, data in members:
            if transform is not None:
                data = transform(name, data)
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)


def rounded(value: object, digits: int = 6) -> object:
    """Round floats in nested metrics so JSON output is stable and readable."""
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, digits) for v in value]
    if isinstance(value, float):
        return round(value, digits)
    return value
