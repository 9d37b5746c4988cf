"""The REST API: a real uvicorn process on a free loopback port, and the app in-process (schemathesis)."""

import json
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from hhforecast.serving import predict, store
from tests.helpers import REPO, WEEK, request, serving


@pytest.fixture(scope="module")
def server(tmp_path_factory, bundle_root):
    (bundle_root / "params.yaml").write_text((REPO / "params.yaml").read_text())
    subprocess.run(["git", "init", "-q"], cwd=bundle_root, check=True)
    db = tmp_path_factory.mktemp("log") / "mlops.db"
    with serving(bundle_root, "--log-db", str(db)) as base:
        yield base, db


def logged(base, db, seconds=30.0):
    """The prediction log's rows once the server's writer has nothing left to write (it writes in moments)."""
    deadline = time.monotonic() + seconds
    while (pending := request(base, "/health")[1]["prediction_log"]["pending"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pending == 0, f"{pending} records still waiting to be written after {seconds:g} s"
    return len(store.read_predictions(db))


def hold_write_lock(db):
    """Another process's long write: a connection in an IMMEDIATE transaction, the log's write lock held."""
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_health_and_model_card(server):
    base, _ = server
    status, health = request(base, "/health")
    assert status == 200 and health["status"] == "ok"
    assert set(health["prediction_log"]) == {"pending", "written", "failed", "refused"}
    status, card = request(base, "/model")
    assert status == 200
    assert card["features"] == ["acft", "sum_daily_hours", "age_fleet", "Cycles", "sum_uti_mensal"]
    assert card["version"] == health["model_version"] and "workspace model" in card["served"]
    assert set(card["intervals"]["quantile"]) == {"80", "95"} and card["intervals"]["scale"] == "scaled"


def test_predict_one_and_many_weeks_and_log_them(server):
    base, db = server
    before = logged(base, db)
    status, one = request(base, "/predict", {"weeks": [WEEK]})
    assert status == 200 and len(one["forecasts"]) == 1
    forecast = one["forecasts"][0]
    assert (
        forecast["lower_95"]
        <= forecast["lower_80"]
        <= forecast["predicted_hh"]
        <= forecast["upper_80"]
        <= forecast["upper_95"]
    )
    many = [{**WEEK, "date": f"2018-03-{d:02d}"} for d in (5, 12, 19, 26)]
    status, body = request(base, "/predict", {"weeks": many})
    assert status == 200 and [f["date"] for f in body["forecasts"]] == [
        "2018-03-05",
        "2018-03-12",
        "2018-03-19",
        "2018-03-26",
    ]
    assert logged(base, db) == before + 5
    assert store.read_predictions(db)["week"].tolist()[-5:] == ["2018-03-05", *[f["date"] for f in body["forecasts"]]]


def test_a_held_write_lock_on_the_log_does_not_stall_predict(server):
    """Forecasts are answered while another process holds the log's write lock, and land once it lets go."""
    base, db = server
    before = logged(base, db)
    holder = hold_write_lock(db)
    try:
        for _ in range(3):
            started = time.monotonic()
            status, _ = request(base, "/predict", {"weeks": [WEEK]})
            # the log waits up to 30 s for a lock: a request that waited with it would take that long
            assert status == 200 and time.monotonic() - started < 5
        assert request(base, "/health")[1]["prediction_log"]["pending"] == 3
        assert len(store.read_predictions(db)) == before
    finally:
        holder.rollback()
        holder.close()
    assert logged(base, db) == before + 3


def test_far_outside_the_training_range_is_predicted_but_flagged(server):
    base, _ = server
    status, body = request(base, "/predict", {"weeks": [{**WEEK, "acft": 400}]})
    assert status == 200
    assert body["forecasts"][0]["extrapolation"] is True
    assert body["forecasts"][0]["extrapolated_features"] == ["acft"]


DATE_EXPECTED = "Input should be a date string YYYY-MM-DD"


@pytest.mark.parametrize(
    "week, field, message",
    [
        ({**WEEK, "date": "2018-02-30"}, "date", None),
        ({**WEEK, "acft": -1}, "acft", None),
        ({**WEEK, "acft": 2001}, "acft", None),
        ({**WEEK, "sum_daily_hours": 1e308}, "sum_daily_hours", None),
        ({**WEEK, "sum_daily_hours": 12 * 168 + 1}, "sum_daily_hours", None),
        ({**WEEK, "sum_uti_mensal": 12 * 672 + 1}, "sum_uti_mensal", None),
        ({**WEEK, "Cycles": 6 * 750 + 1}, "Cycles", None),
        ({**WEEK, "age_fleet": 61}, "age_fleet", None),
        ({**WEEK, "Cycles": "many"}, "Cycles", None),
        ({**WEEK, "age_fleet": False}, "age_fleet", None),  # a JSON boolean is not the number 0
        ({**WEEK, "acft": "12"}, "acft", None),  # nor is a string of digits
        ({k: v for k, v in WEEK.items() if k != "sum_uti_mensal"}, "sum_uti_mensal", None),
        ({**WEEK, "colour": "red"}, "colour", None),
        # A date is a YYYY-MM-DD string: a number is not a Unix timestamp (0 was answered for 1969-12-29),
        # nor is a string of digits, and a datetime is not its day.
        ({**WEEK, "date": 0}, "date", DATE_EXPECTED),
        ({**WEEK, "date": 1.5}, "date", DATE_EXPECTED),
        ({**WEEK, "date": True}, "date", DATE_EXPECTED),
        ({**WEEK, "date": "2024-04-01T00:00:00"}, "date", DATE_EXPECTED),
        ({**WEEK, "date": "86400"}, "date", DATE_EXPECTED),
    ],
)
def test_bad_weeks_get_422_naming_the_field(server, week, field, message):
    base, _ = server
    status, body = request(base, "/predict", {"weeks": [week]})
    assert status == 422
    assert [err["loc"] for err in body["detail"]] == [["body", "weeks", 0, field]]
    if message:
        assert body["detail"][0]["msg"].startswith(message)


@pytest.mark.parametrize(
    "literal, field", [("NaN", "acft"), ("Infinity", "age_fleet"), ("-Infinity", "Cycles"), ("1e999", "sum_uti_mensal")]
)
def test_non_finite_numbers_get_422_never_500(server, literal, field):
    base, db = server
    before = logged(base, db)
    text = json.dumps({"weeks": [{**WEEK, field: 0.0}]}).replace(f'"{field}": 0.0', f'"{field}": {literal}')
    req = urllib.request.Request(base + "/predict", data=text.encode(), headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(req, timeout=10)
    assert error.value.code == 422
    assert [err["loc"][-1] for err in json.loads(error.value.read())["detail"]] == [field]
    assert logged(base, db) == before


@pytest.mark.parametrize("date, monday", [("2018-03-08", "2018-03-05"), ("2024-04-01", "2024-04-01")])
def test_any_date_is_answered_for_its_weeks_monday(server, date, monday):
    base, _ = server
    status, body = request(base, "/predict", {"weeks": [{**WEEK, "date": date}]})
    assert status == 200 and body["forecasts"][0]["date"] == monday


def test_too_many_weeks_or_too_many_bytes_are_refused(server):
    base, db = server
    before = logged(base, db)
    status, body = request(base, "/predict", {"weeks": [WEEK] * 261})
    assert status == 422 and body["detail"][0]["loc"] == ["body", "weeks"]
    status, body = request(base, "/predict", {"weeks": [WEEK], "padding": "x" * 300_000})
    assert status == 413 and body["detail"] == "request body above 262144 bytes" and body["request_id"]
    assert logged(base, db) == before


def test_openapi_documents_the_endpoints(server):
    base, _ = server
    status, spec = request(base, "/openapi.json")
    assert status == 200 and {"/predict", "/health", "/model"} <= set(spec["paths"])


# In-process: the same app, driven through schemathesis' ASGI client.


def asgi_client(app):
    from schemathesis.python import asgi

    return asgi.get_client(app)


@pytest.fixture(scope="module")
def served_bundle(bundle_root):
    from hhforecast.serving import bundle

    return bundle.load_workspace(bundle_root)


def test_an_unexpected_error_is_a_json_500_with_a_request_id_and_no_traceback(served_bundle, monkeypatch, caplog):
    from hhforecast.serving import api

    app = api.create_app(served_bundle, None, "test")

    def broken(self, x):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(type(served_bundle), "predict_array", broken)
    with asgi_client(app) as client:
        response = client.post("/predict", json={"weeks": [WEEK]})
    body = response.json()
    assert response.status_code == 500 and body["detail"] == "internal server error"
    assert body["request_id"] == response.headers["x-request-id"]
    assert "secret detail" not in response.text and "Traceback" not in response.text
    assert body["request_id"] in caplog.text and "secret detail" in caplog.text
    # The logger keeps its name from before the subpackages: log configurations key on it.
    assert [r.name for r in caplog.records if body["request_id"] in r.getMessage()] == ["hhforecast.api"]


def test_a_token_guards_predict_and_model_but_not_health(served_bundle):
    from hhforecast.serving import api

    app = api.create_app(served_bundle, None, "test", token="s3cret")
    with asgi_client(app) as client:
        assert client.get("/health").status_code == 200
        for headers, status in [
            ({}, 401),
            ({"Authorization": "Bearer wrong"}, 401),
            ({"Authorization": "Basic czNjcmV0"}, 401),
            ({"Authorization": "Bearer s3cret"}, 200),
        ]:
            assert client.get("/model", headers=headers).status_code == status
            assert client.post("/predict", json={"weeks": [WEEK]}, headers=headers).status_code == status
        spec = client.get("/openapi.json").json()
        assert "HTTPBearer" in spec["components"]["securitySchemes"]


@pytest.fixture(scope="module")
def api_schema(served_bundle):
    import schemathesis

    from hhforecast.serving import api

    return schemathesis.openapi.from_asgi("/openapi.json", api.create_app(served_bundle, None, "schemathesis"))


def within_relations(body):
    """A schema-valid body moved inside the bounds between fields, which JSON Schema cannot state
    (the fields' descriptions do): generated data must be valid for the API, not only for the schema."""
    from hhforecast.dataprep import bounds

    for week in body.get("weeks", []) if isinstance(body, dict) else []:
        for field, other, factor, _ in bounds.RELATIONS:
            week[field] = min(week[field], factor * week[other])
    return body


@pytest.mark.slow
@pytest.mark.parametrize(
    "path, method, mode",
    [  # the GETs take no input: no invalid request to make
        ("/predict", "POST", "positive"),
        ("/predict", "POST", "negative"),
        ("/model", "GET", "positive"),
        ("/health", "GET", "positive"),
    ],
)
def test_the_api_keeps_every_promise_of_its_schema(api_schema, path, method, mode):
    """Every schemathesis check: no 5xx, responses match the schema, valid data accepted, invalid refused."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    operation = api_schema[path][method]
    strategy = operation.as_strategy(GenerationMode(mode))

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(data=st.data())
    def check(data):
        case = data.draw(strategy)
        if mode == "positive" and path == "/predict":
            case.body = within_relations(case.body)
        case.call_and_validate()

    check()


def test_a_body_without_content_length_is_cut_off_at_the_limit(served_bundle):
    """Chunked uploads carry no Content-Length: the guard counts the bytes and answers 413 at the limit."""
    import asyncio

    from hhforecast.serving import api

    app = api.create_app(served_bundle, None, "test")
    chunks = [{"type": "http.request", "body": b" " * 100_000, "more_body": True} for _ in range(5)]
    sent = []

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/predict",
        "raw_path": b"/predict",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("t", 80),
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["detail"] == "request body above 262144 bytes"


# The prediction log's writer, in-process.


def serve_in_process(app, calls):
    """Await `calls(client)` between the app's start-up and its shutdown (schemathesis' client never shuts down)."""
    import asyncio

    import httpx

    async def main():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                await calls(client)

    asyncio.run(main())


FEATURES = {"acft": 12.0, "sum_daily_hours": 750.0, "age_fleet": 8.0, "Cycles": 500.0, "sum_uti_mensal": 3000.0}


@pytest.fixture()
def forecast_record():
    return {
        "date": "2018-03-05",
        "predicted_hh": 100.0,
        "lower_80": 90.0,
        "upper_80": 110.0,
        "lower_95": 80.0,
        "upper_95": 120.0,
        "model_version": "test",
        "extrapolation": False,
        "extrapolated_features": [],
    }


def test_shutdown_writes_the_records_still_waiting(served_bundle, tmp_path):
    """Records queued behind a held lock are written at shutdown, which waits for the lock to go."""
    from hhforecast.serving import api

    db = tmp_path / "mlops.db"
    app = api.create_app(served_bundle, db, "test")
    holder = hold_write_lock(db)
    release = threading.Timer(1.0, holder.rollback)

    async def calls(client):
        for week in ("2018-03-05", "2018-03-12"):
            assert (await client.post("/predict", json={"weeks": [{**WEEK, "date": week}]})).status_code == 200
        assert (await client.get("/health")).json()["prediction_log"]["pending"] == 2
        release.start()

    try:
        serve_in_process(app, calls)
        assert store.read_predictions(db)["week"].tolist() == ["2018-03-05", "2018-03-12"]
    finally:
        release.cancel()
        holder.close()


def test_shutdown_does_not_wait_out_the_linger(tmp_path, forecast_record):
    db = tmp_path / "mlops.db"
    writer = store.PredictionWriter(db, linger=60)
    writer.start()
    writer.submit([forecast_record], [FEATURES], "api")
    started = time.monotonic()
    assert writer.close(timeout=30) is True
    assert time.monotonic() - started < 10
    rows = store.read_predictions(db)
    assert rows["week"].tolist() == [forecast_record["date"]] and rows["channel"].tolist() == ["api"]


def test_a_full_backlog_is_a_503_and_nothing_is_forecast_unlogged(served_bundle, tmp_path, monkeypatch):
    from hhforecast.serving import api

    db = tmp_path / "mlops.db"
    app = api.create_app(served_bundle, db, "test", log_backlog=1)
    holder = hold_write_lock(db)
    forecast_fields, made = predict.forecast_fields, []
    monkeypatch.setattr(predict, "forecast_fields", lambda *args: made.append(1) or forecast_fields(*args))

    async def calls(client):
        assert (await client.post("/predict", json={"weeks": [WEEK]})).status_code == 200
        refused = await client.post("/predict", json={"weeks": [{**WEEK, "date": "2018-03-12"}]})
        assert refused.status_code == 503 and refused.headers["retry-after"] == str(api.RETRY_AFTER_SECONDS)
        assert "retry later" in refused.json()["detail"]
        health = (await client.get("/health")).json()
        assert health["prediction_log"] == {"pending": 1, "written": 0, "failed": 0, "refused": 1}
        assert health["status"] == "ok" and len(made) == 1  # the refused week was never forecast
        holder.rollback()

    try:
        serve_in_process(app, calls)
        assert store.read_predictions(db)["week"].tolist() == ["2018-03-05"]
    finally:
        holder.close()


def test_records_that_cannot_be_written_are_reported_and_counted(tmp_path, forecast_record, caplog):
    db = tmp_path / "mlops.db"
    writer = store.PredictionWriter(db, linger=0, attempts=2, busy_timeout=0.05, retry_pause=0.01)
    holder = hold_write_lock(db)
    try:
        writer.start()
        writer.submit([forecast_record], [FEATURES], "api")
        deadline = time.monotonic() + 10
        while writer.status()["failed"] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert writer.status() == {"pending": 0, "written": 0, "failed": 1, "refused": 0}
    finally:
        holder.rollback()
        holder.close()
        writer.close(timeout=10)
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "1 forecast(s) NOT logged after 2 attempt(s)" in errors[0]
    assert forecast_record["date"] in errors[0] and "locked" in errors[0]
    assert store.read_predictions(db).empty


def test_health_says_degraded_when_forecasts_went_unlogged(served_bundle, tmp_path, monkeypatch):
    from hhforecast.serving import api

    app = api.create_app(served_bundle, tmp_path / "mlops.db", "test")
    monkeypatch.setattr(
        store.PredictionWriter, "status", lambda self: {"pending": 0, "written": 3, "failed": 2, "refused": 0}
    )

    async def calls(client):
        health = (await client.get("/health")).json()
        assert health["status"] == "degraded" and health["prediction_log"]["failed"] == 2

    serve_in_process(app, calls)
