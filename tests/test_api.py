"""The REST API, served by a real uvicorn process on a free loopback port."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import REPO
from hhforecast import store

WEEK = {"date": "2018-03-05", "acft": 12, "sum_daily_hours": 750.0, "age_fleet": 5.5, "Cycles": 550,
        "sum_uti_mensal": 3000.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(base: str, path: str, body: object | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory, bundle_root):
    (bundle_root / "params.yaml").write_text((REPO / "params.yaml").read_text())
    subprocess.run(["git", "init", "-q"], cwd=bundle_root, check=True)
    db = tmp_path_factory.mktemp("log") / "mlops.db"
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    log = db.with_name("serve.log")
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "hhforecast.cli", "serve", "--port", str(port), "--log-db", str(db)],
            cwd=bundle_root, env=env, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if request(base, "/health")[0] == 200:
                break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
        assert process.poll() is None, log.read_text()
    yield base, db
    process.terminate()
    process.wait(timeout=30)


def test_health_and_model_card(server):
    base, _ = server
    status, health = request(base, "/health")
    assert status == 200 and health["status"] == "ok"
    status, card = request(base, "/model")
    assert status == 200
    assert card["features"] == ["acft", "sum_daily_hours", "age_fleet", "Cycles", "sum_uti_mensal"]
    assert card["version"] == health["model_version"] and "workspace model" in card["served"]
    assert set(card["intervals"]["quantile"]) == {"80", "95"} and card["intervals"]["scale"] == "scaled"


def test_predict_one_and_many_weeks_and_log_them(server):
    base, db = server
    status, one = request(base, "/predict", {"weeks": [WEEK]})
    assert status == 200 and len(one["forecasts"]) == 1
    forecast = one["forecasts"][0]
    assert forecast["lower_95"] <= forecast["lower_80"] <= forecast["predicted_hh"] <= forecast["upper_80"] <= forecast["upper_95"]
    many = [{**WEEK, "date": f"2018-03-{d:02d}"} for d in (5, 12, 19, 26)]
    status, body = request(base, "/predict", {"weeks": many})
    assert status == 200 and [f["date"] for f in body["forecasts"]] == ["2018-03-05", "2018-03-12", "2018-03-19", "2018-03-26"]
    assert len(store.read_predictions(db)) == 5


def test_far_outside_the_training_range_is_predicted_but_flagged(server):
    base, _ = server
    status, body = request(base, "/predict", {"weeks": [{**WEEK, "acft": 400}]})
    assert status == 200
    assert body["forecasts"][0]["extrapolation"] is True
    assert body["forecasts"][0]["extrapolated_features"] == ["acft"]


@pytest.mark.parametrize("week, field", [
    ({**WEEK, "date": "2018-03-06"}, "date"),
    ({**WEEK, "acft": -1}, "acft"),
    ({**WEEK, "Cycles": "many"}, "Cycles"),
    ({k: v for k, v in WEEK.items() if k != "sum_uti_mensal"}, "sum_uti_mensal"),
    ({**WEEK, "colour": "red"}, "colour"),
])
def test_bad_weeks_get_422_naming_the_field(server, week, field):
    base, _ = server
    status, body = request(base, "/predict", {"weeks": [week]})
    assert status == 422
    assert [err["loc"][-1] for err in body["detail"]] == [field]


def test_openapi_documents_the_endpoints(server):
    base, _ = server
    status, spec = request(base, "/openapi.json")
    assert status == 200 and {"/predict", "/health", "/model"} <= set(spec["paths"])
