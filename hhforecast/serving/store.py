"""The operational store (SQLite): a log of every prediction made, of every run, and of every monitoring check.

It is not a DVC output: it records what happened in operation, with wall-clock
times, and monitoring reads it.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import sqlite3
import threading
import time
from collections import deque
from contextlib import closing
from dataclasses import dataclass
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


_log = logging.getLogger("hhforecast.store")


class LogBacklogFull(Exception):
    """The prediction log's writer has `capacity` records waiting: the caller must not make more forecasts now."""


@dataclass(frozen=True)
class _Submission:
    logged_at: str
    forecasts: list[dict[str, Any]]
    features: list[dict[str, Any]]
    channel: str


class PredictionWriter:
    """The prediction log written from one background thread, so that a caller never waits for SQLite.

    `submit` only queues a request's records, stamped with the time of the call. The thread takes what has
    gathered every `linger` seconds and writes it as one transaction. The queue holds at most `capacity`
    records (those being written included): beyond that, `submit` raises `LogBacklogFull` and queues
    nothing. A batch that fails is tried `attempts` times, each waiting up to `busy_timeout` seconds for
    another writer's lock; then its records are reported, as an error log on stderr, and counted in
    `failed`. `close` writes whatever is still queued before it returns.
    """

    def __init__(
        self,
        path: Path,
        capacity: int = 10_000,
        linger: float = 0.05,
        max_batch: int = 1_000,
        attempts: int = 5,
        busy_timeout: float = 30.0,
        retry_pause: float = 1.0,
    ) -> None:
        if capacity < 1 or max_batch < 1 or attempts < 1:
            raise ValueError("capacity, max_batch and attempts must be at least 1")
        self.path = path
        self.capacity, self.linger, self.max_batch = capacity, linger, max_batch
        self.attempts, self.retry_pause = attempts, retry_pause
        # Opened here, not in the thread: a log that cannot be opened stops the server at start-up.
        self._connection = connect(path)
        self._connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        self._queue: deque[_Submission] = deque()
        self._condition = threading.Condition()
        self._stopping = threading.Event()  # cuts the linger short: close() flushes at once
        self._thread: threading.Thread | None = None
        self._closed = False
        self._pending = 0  # records queued or being written
        self.written = 0
        self.failed = 0
        self.refused = 0  # records not forecast because the queue was full

    def start(self) -> None:
        """Start the writing thread (again: a no-op)."""
        with self._condition:
            if self._closed:
                raise RuntimeError(f"the prediction log writer for {self.path} is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="prediction-log-writer", daemon=True)
                self._thread.start()
                # A daemon thread dies with the interpreter: without a close() (no lifespan), exit still flushes.
                atexit.register(self._close_at_exit)

    def submit(self, forecasts: list[dict[str, Any]], features: list[dict[str, Any]], channel: str) -> None:
        """Queue forecasts (as `PredictionLog.append_records` takes them) to be written; never waits for SQLite."""
        if len(forecasts) != len(features):
            raise ValueError(f"{len(forecasts)} forecasts but {len(features)} rows of features")
        submission = _Submission(_now(), forecasts, features, channel)
        with self._condition:
            if self._closed:
                raise RuntimeError(f"the prediction log writer for {self.path} is closed")
            self._refuse_if_full(len(forecasts))
            self._queue.append(submission)
            self._pending += len(forecasts)
            self._condition.notify()
        if self._thread is None:
            self.start()  # an app driven without its lifespan still logs; only the flush at shutdown needs it

    def check_room(self, records: int) -> None:
        """Raise `LogBacklogFull` (and count the records refused) when `records` more would not fit: asked
        before forecasting, so an overloaded server does not compute forecasts it must refuse."""
        with self._condition:
            self._refuse_if_full(records)

    def _refuse_if_full(self, records: int) -> None:
        """With the lock held: count `records` refused and raise when they would not fit."""
        if self._pending + records > self.capacity:
            self.refused += records
            raise LogBacklogFull(
                f"the prediction log has {self._pending} records waiting to be written (at most {self.capacity})"
            )

    @property
    def alive(self) -> bool:
        """Whether the writing thread runs (False before `start` and after it ended)."""
        return self._thread is not None and self._thread.is_alive()

    def status(self) -> dict[str, int]:
        """Records waiting (or being written), written, failed after every attempt, and refused."""
        with self._condition:
            return {"pending": self._pending, "written": self.written, "failed": self.failed, "refused": self.refused}

    def close(self, timeout: float | None = None) -> bool:
        """Write what is queued, stop the thread, close the log. False if `timeout` ran out first: the records
        still queued are then reported as not written (the thread goes on trying until the process ends)."""
        with self._condition:
            self._closed = True
            self._condition.notify()
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                _log.error(
                    "prediction log %s: %d records not yet written at shutdown (still trying)",
                    self.path,
                    self.status()["pending"],
                )
                return False
        self._connection.close()
        return True

    def _close_at_exit(self) -> None:
        if not self._closed:
            self.close(timeout=60)
        elif self._thread is not None and self._thread.is_alive():  # a close() that timed out: a last wait
            self._thread.join(60)
        lost = self.status()["pending"]
        if lost:  # the daemon thread dies with the interpreter: say so, they are not in the log
            _log.error("prediction log %s: %d forecast(s) NOT logged: the process ended first", self.path, lost)

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._queue and not self._closed:
                    self._condition.wait()
                if not self._queue:
                    return  # closed, and everything written
            # Lingering lets the requests of the next moments join this transaction: one commit for many.
            self._stopping.wait(self.linger)
            with self._condition:
                batch: list[_Submission] = []
                count = 0
                while self._queue and (not batch or count + len(self._queue[0].forecasts) <= self.max_batch):
                    batch.append(self._queue.popleft())
                    count += len(batch[-1].forecasts)
            try:
                self._write(batch)
            except Exception as exc:  # not SQLite's (that is retried): the thread must outlive it, the batch is lost
                _log.exception("prediction log %s: unexpected error writing a batch", self.path)
                self._give_up([r for s in batch for r in s.forecasts], 0, repr(exc))

    def _write(self, batch: list[_Submission]) -> None:
        rows: list[tuple[Any, ...]] = []
        built: list[dict[str, Any]] = []
        for submission in batch:
            try:
                # The row's time is when the forecast was made, not when it reached the disk.
                rows += [
                    (submission.logged_at, *row[1:])
                    for row in _prediction_rows(submission.forecasts, submission.features, submission.channel)
                ]
                built += submission.forecasts
            except Exception as exc:  # a malformed record: no retry would write it
                self._give_up(submission.forecasts, 0, repr(exc))
        if not rows:
            return
        error = ""
        for attempt in range(1, self.attempts + 1):
            try:
                with self._connection:
                    self._connection.executemany(INSERT_PREDICTION, rows)
            except sqlite3.Error as exc:
                error = f"{type(exc).__name__}: {exc}"
                _log.warning("prediction log %s: attempt %d of %d failed: %s", self.path, attempt, self.attempts, error)
                if attempt < self.attempts:
                    time.sleep(self.retry_pause)
                continue
            except Exception as exc:  # not SQLite's: no retry would help; give up what this batch still holds
                self._give_up(built, attempt, repr(exc))
                return
            with self._condition:
                self.written += len(rows)
                self._pending -= len(rows)
            return
        self._give_up(built, self.attempts, error)

    def _give_up(self, forecasts: list[dict[str, Any]], attempts: int, error: str) -> None:
        weeks = ", ".join(str(r.get("date")) for r in forecasts[:10]) + (", ..." if len(forecasts) > 10 else "")
        _log.error(
            "prediction log %s: %d forecast(s) NOT logged after %d attempt(s) (weeks %s): %s",
            self.path,
            len(forecasts),
            attempts,
            weeks,
            error,
        )
        with self._condition:
            self.failed += len(forecasts)
            self._pending -= len(forecasts)
