"""Load the REST API on loopback: latency percentiles and throughput with one uvicorn worker.

    python benchmarks/api_load.py [--requests 3000] [--seconds 30] [--clients 4]

Starts `hh serve` on a free 127.0.0.1 port with the workspace model (run `make repro`
first), sends single-week POST /predict requests — bounded by count and by time —
and stops the server. Targets on a 2-core machine: p99 under 20 ms for one client,
at least 300 requests/s.
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
from pathlib import Path

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client(port: int, count: int, deadline: float, latencies: list[float]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        connection.request("POST", "/predict", BODY, headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        latencies.append(time.perf_counter() - started)
    connection.close()


def run(port: int, requests: int, clients: int, seconds: float) -> tuple[list[float], float]:
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(port, requests // clients, deadline, latencies)) for _ in range(clients)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        server = subprocess.Popen(
            [sys.executable, "-m", "hhforecast.cli", "serve", "--port", str(port), "--log-db", f"{scratch}/mlops.db"],
            cwd=REPO,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            run(port, 200, 1, 10)  # warm-up
            single, _ = run(port, min(args.requests, 1000), 1, args.seconds / 2)
            loaded, elapsed = run(port, args.requests, args.clients, args.seconds / 2)
        finally:
            server.terminate()
            server.wait(timeout=30)
    ms = lambda s: s * 1000  # noqa: E731
    p99 = ms(percentile(single, 99))
    throughput = len(loaded) / elapsed
    print(f"one client:  {len(single)} requests, p50 {ms(percentile(single, 50)):.1f} ms, p99 {p99:.1f} ms")
    print(
        f"{args.clients} clients: {len(loaded)} requests in {elapsed:.1f} s = {throughput:.0f} req/s, "
        f"p50 {ms(percentile(loaded, 50)):.1f} ms, p99 {ms(percentile(loaded, 99)):.1f} ms"
    )
    verdicts = [("p99 under 20 ms (one client)", p99 < 20), ("at least 300 req/s", throughput >= 300)]
    for name, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    raise SystemExit(0 if all(ok for _, ok in verdicts) else 1)


if __name__ == "__main__":
    main()
