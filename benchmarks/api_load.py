"""Load the REST API on loopback, side by side with a bare FastAPI app: requests/s, their ratio, p50/p99.

    python benchmarks/api_load.py [--requests 3000] [--seconds 30] [--clients 4] [--rounds 5]

Starts `hh serve` on a free 127.0.0.1 port with the workspace model (run `make repro`
first) and a scratch prediction log and, on another port, a bare FastAPI app: the same request and response models,
an async endpoint with a constant answer, no model, no prediction log, no middleware:
what FastAPI alone costs. Both run on uvicorn, one worker, with the same settings.
Single-week POST /predict requests, bounded by count and by time, go to one app then
the other in alternating rounds, so that whatever else runs on the machine weighs on
both alike; the servers are stopped at the end, once `/health` shows that every forecast
answered was written to the log (its counts are printed).

Targets on a 2-core machine: one client gets p99 under 5 ms and at least 0.7x the bare
app's requests/s; several clients get at least 300 requests/s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hhforecast.serving.api import PredictRequest, PredictResponse  # module level: FastAPI resolves the annotations

REPO = Path(__file__).resolve().parents[1]
BODY = json.dumps(
    {
        "weeks": [
            {
                "date": "2024-06-03",
                "acft": 40,
                "sum_daily_hours": 2500.0,
                "age_fleet": 9.0,
                "Cycles": 1900,
                "sum_uti_mensal": 9800.0,
            }
        ]
    }
)
MIN_RATIO = 0.7  # of the bare app's requests/s, one client
MAX_P99_MS = 5.0  # one client
MIN_THROUGHPUT = 300.0  # requests/s, several clients


def bare_app() -> Any:
    """FastAPI with the project's request and response models and nothing else: the framework's own cost."""
    from fastapi import FastAPI

    app = FastAPI()
    answer = {
        "predicted_hh": 1000.0,
        "lower_80": 900.0,
        "upper_80": 1100.0,
        "lower_95": 800.0,
        "upper_95": 1200.0,
        "model_version": "bare",
        "extrapolation": False,
        "extrapolated_features": [],
    }

    @app.post("/predict", response_model=PredictResponse)
    async def predict(request: PredictRequest) -> dict[str, Any]:
        return {"forecasts": [{"date": week.date.isoformat(), **answer} for week in request.weeks]}

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(command: list[str], port: int) -> Iterator[int]:
    """A server process, yielded once its port accepts connections, stopped on exit."""
    process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.DEVNULL)
    try:
        for _ in range(900):
            if process.poll() is not None:
                raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def client(port: int, count: int, deadline: float, latencies: list[float], failures: list[str]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    try:
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            connection.request("POST", "/predict", BODY, headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {answer[:200]!r}")
            latencies.append(time.perf_counter() - started)
    except Exception as exc:  # reported by run, in the main thread
        failures.append(f"port {port}: {exc}")
    finally:
        connection.close()


def run(port: int, requests: int, clients: int, seconds: float) -> tuple[list[float], float]:
    latencies: list[float] = []
    failures: list[str] = []
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(port, requests // clients, deadline, latencies, failures))
        for _ in range(clients)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(failures[0])
    return latencies, time.perf_counter() - started


@dataclass
class Load:
    """Requests timed against one app, summed over its rounds."""

    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    def add(self, latencies: list[float], elapsed: float) -> None:
        self.latencies += latencies
        self.elapsed += elapsed

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed

    def ms(self, q: float) -> float:
        return 1000 * percentile(self.latencies, q)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def alternate(ports: dict[str, int], requests: int, clients: int, seconds: float, rounds: int) -> dict[str, Load]:
    """The same load on every app, round after round, in turn."""
    loads = {name: Load() for name in ports}
    for _ in range(rounds):
        for name, port in ports.items():
            loads[name].add(*run(port, requests // rounds, clients, seconds / rounds / len(ports)))
    return loads


def prediction_log(port: int, seconds: float = 30.0) -> dict[str, int]:
    """The served log's counts once its writer has caught up: every forecast answered should be written."""
    deadline = time.monotonic() + seconds
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/health")
            counts: dict[str, int] = json.loads(connection.getresponse().read())["prediction_log"]
        finally:
            connection.close()
        if counts["pending"] == 0 or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)


def report(label: str, loads: dict[str, Load]) -> float:
    """Print each app's requests/s and percentiles; returns the project's ratio to the bare app."""
    for name, load in loads.items():
        print(
            f"{label}, {name:>4}: {len(load.latencies)} requests in {load.elapsed:.1f} s = {load.throughput:.0f} req/s, "
            f"p50 {load.ms(50):.2f} ms, p99 {load.ms(99):.2f} ms"
        )
    ratio = loads["hh"].throughput / loads["bare"].throughput
    print(f"{label}: hh / bare = {ratio:.2f}x")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="per app and load")
    parser.add_argument("--seconds", type=float, default=30.0, help="per load, both apps")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)  # the bare app's process
    args = parser.parse_args()
    if args.serve_bare:
        import uvicorn

        uvicorn.run(bare_app(), host="127.0.0.1", port=args.serve_bare, log_level="warning", access_log=False)
        return
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as servers:
        hh, bare = free_port(), free_port()
        serve = [sys.executable, "-m", "hhforecast.cli", "serve", "--port", str(hh), "--log-db", f"{scratch}/mlops.db"]
        ports = {
            "hh": servers.enter_context(server(serve, hh)),
            "bare": servers.enter_context(server([sys.executable, __file__, "--serve-bare", str(bare)], bare)),
        }
        warm = alternate(ports, 400, 1, 20, 2)
        single = alternate(ports, args.requests, 1, args.seconds, args.rounds)
        loaded = alternate(ports, args.requests, args.clients, args.seconds, args.rounds)
        answered = sum(len(load["hh"].latencies) for load in (warm, single, loaded))
        log = prediction_log(hh)
    ratio = report("one client", single)
    report(f"{args.clients} clients", loaded)
    print(f"prediction log: {answered} forecasts answered; after the load {log}")
    p99 = single["hh"].ms(99)
    verdicts = [
        (f"p99 under {MAX_P99_MS:g} ms (one client)", p99 < MAX_P99_MS),
        (f"at least {MIN_RATIO:g}x the bare app's requests/s (one client)", ratio >= MIN_RATIO),
        (f"at least {MIN_THROUGHPUT:g} req/s ({args.clients} clients)", loaded["hh"].throughput >= MIN_THROUGHPUT),
    ]
    for name, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    raise SystemExit(0 if all(ok for _, ok in verdicts) else 1)


if __name__ == "__main__":
    main()
