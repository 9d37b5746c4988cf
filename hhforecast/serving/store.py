"""The operational store (SQLite): a log of every prediction made, of every run, and of every monitoring check.

It is not a DVC output: it records what happened in operation, with wall-clock
times, and monitoring reads it.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pandas as pd

# The monitoring history's columns after `run_at`, with their SQL types: the table and every insert are made
# from this one list.
HISTORY_COLUMNS: dict[str, str] = {
    "data_through": "TEXT",
    "model_version": "TEXT",
    **{f"{metric}_{weeks}w": "REAL" for weeks in (4, 13) for metric in ("mae", "rmse", "mape")},
    "coverage_80_13w": "REAL",
    "verdict": "TEXT NOT NULL",
    "reasons": "TEXT NOT NULL",
    "action": "TEXT",
    "comment": "TEXT",
}
_HISTORY_TABLE = (
    "CREATE TABLE IF NOT EXISTS monitor_history (\n    id INTEGER PRIMARY KEY AUTOINCREMENT,\n    run_at TEXT NOT NULL,\n"
    + "".join(f"    {name} {kind},\n" for name, kind in HISTORY_COLUMNS.items()).removesuffix(",\n")
    + "\n);\n"
)

_OTHER_TABLES = """
CREATE TABLE IF NOT EXISTS predictions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    logged_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    week TEXT NOT NULL,
    features TEXT NOT NULL,
    predicted_hh REAL NOT NULL,
    lower_80 REAL, upper_80 REAL, lower_95 REAL, upper_95 REAL,
    model_version TEXT NOT NULL,
    extrapolation INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS predictions_week ON predictions (week);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL,
    model_version TEXT,
    detail TEXT
);
"""
SCHEMA = _OTHER_TABLES + _HISTORY_TABLE


# The store's clock: the wall clock, unless a replay or a back-fill runs as of another day (`hh weekly --as-of`).
# Then it starts at that day and runs at the wall clock's pace, so runs keep their order and durations.
_as_of: tuple[dt.datetime, float] | None = None


def run_as_of(when: dt.datetime | None) -> None:
    """Let `now` start at `when` (None: back to the wall clock) for the rest of this process."""
    global _as_of
    _as_of = None if when is None else (when, time.monotonic())


def now() -> dt.datetime:
    """The store's current time (UTC): what runs, predictions and checks are stamped with."""
    if _as_of is None:
        return dt.datetime.now(dt.UTC)
    start, started = _as_of
    return start + dt.timedelta(seconds=time.monotonic() - started)


def _now() -> str:
    return now().isoformat(timespec="seconds")


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
    # WAL: readers (monitoring) never block the writer, and a commit is not an fsync of the whole file.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.executescript(SCHEMA)
    return connection


class PredictionLog:
    """An open log for a long-lived writer (the API); thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection = connect(path)
        self._lock = threading.Lock()

    def append(self, forecast: pd.DataFrame, features: pd.DataFrame, channel: str) -> int:
        return self.append_records(_records(forecast), _records(features), channel)

    def append_records(self, forecasts: list[dict[str, Any]], features: list[dict[str, Any]], channel: str) -> int:
        """Append forecasts (dicts with date, predicted_hh, ranges, model_version, extrapolation)."""
        rows = _prediction_rows(forecasts, features, channel)
        with self._lock, self._connection:
            self._connection.executemany(INSERT_PREDICTION, rows)
        return len(rows)

    def close(self) -> None:
        self._connection.close()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


INSERT_PREDICTION = (
    "INSERT INTO predictions (logged_at, channel, week, features, predicted_hh, lower_80, upper_80, "
    "lower_95, upper_95, model_version, extrapolation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _prediction_rows(
    forecasts: list[dict[str, Any]], features: list[dict[str, Any]], channel: str
) -> list[tuple[Any, ...]]:
    now = _now()
    return [
        (
            now,
            channel,
            r["date"],
            json.dumps({k: float(v) for k, v in f.items()}, sort_keys=True),
            float(r["predicted_hh"]),
            _float(r.get("lower_80")),
            _float(r.get("upper_80")),
            _float(r.get("lower_95")),
            _float(r.get("upper_95")),
            r["model_version"],
            int(bool(r["extrapolation"])),
        )
        for r, f in zip(forecasts, features, strict=True)
    ]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def log_predictions(path: Path, forecast: pd.DataFrame, features: pd.DataFrame, channel: str) -> int:
    """Append one row per forecast week (a batch writer); returns how many were written."""
    log = PredictionLog(path)
    try:
        return log.append(forecast, features, channel)
    finally:
        log.close()


def read_predictions(path: Path) -> pd.DataFrame:
    with closing(connect(path)) as connection:
        return pd.read_sql_query("SELECT * FROM predictions ORDER BY id", connection)


def start_run(path: Path, kind: str, model_version: str | None = None) -> int:
    with closing(connect(path)) as connection, connection:
        cursor = connection.execute(
            "INSERT INTO runs (kind, started_at, status, model_version) VALUES (?, ?, ?, ?)",
            (kind, _now(), "running", model_version),
        )
        assert cursor.lastrowid is not None  # an INSERT always sets it
        return cursor.lastrowid


def end_run(path: Path, run_id: int, status: str, detail: str = "", model_version: str | None = None) -> None:
    with closing(connect(path)) as connection, connection:
        connection.execute(
            "UPDATE runs SET ended_at = ?, status = ?, detail = ?, model_version = COALESCE(?, model_version) WHERE id = ?",
            (_now(), status, detail, model_version, run_id),
        )


def read_runs(path: Path) -> pd.DataFrame:
    with closing(connect(path)) as connection:
        return pd.read_sql_query("SELECT * FROM runs ORDER BY id", connection)


def append_history(path: Path, row: dict[str, Any]) -> int:
    """One monitoring check (`HISTORY_COLUMNS`, missing ones empty), stamped with the time it ran; returns its id."""
    values = [row.get(column) for column in HISTORY_COLUMNS]
    placeholders = ", ".join("?" for _ in range(len(HISTORY_COLUMNS) + 1))
    with closing(connect(path)) as connection, connection:
        cursor = connection.execute(
            f"INSERT INTO monitor_history (run_at, {', '.join(HISTORY_COLUMNS)}) VALUES ({placeholders})",
            (_now(), *values),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def read_history(path: Path) -> pd.DataFrame:
    with closing(connect(path)) as connection:
        return pd.read_sql_query("SELECT * FROM monitor_history ORDER BY id", connection)
