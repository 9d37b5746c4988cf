"""The REST API: forecasts from the served bundle, one or many weeks per request.

The bundle is loaded once at start-up; each request calls the model's traced graph
directly, on the event loop, and hands its forecasts to the prediction log's writer thread,
which writes them within moments (flushed at shutdown): a request never waits for SQLite.
When that writer is too far behind, /predict answers 503 rather than forecast unlogged.
What a request may hold is stated in the OpenAPI schema and enforced as stated:
features within the physical bounds of `bounds.py` (422 naming the field),
at most `MAX_WEEKS` weeks and `MAX_BODY_BYTES` bytes (413, before parsing). Any
date, as a YYYY-MM-DD string, is accepted and answered for its ISO week, labelled
by the week's Monday; a JSON number is not read as a timestamp (422).
Anything unexpected becomes a JSON 500 carrying a request id, logged with its
traceback on the server, never in the response. With a token, /predict and
/model require `Authorization: Bearer <token>`; /health stays open.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hmac
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hhforecast.dataprep import bounds, isoweeks
from hhforecast.serving import predict
from hhforecast.serving.bundle import Bundle
from hhforecast.serving.store import LogBacklogFull, PredictionWriter

MAX_WEEKS = 260  # five years of weeks per request: one request cannot flood the prediction log
MAX_BODY_BYTES = 256 * 1024  # room for MAX_WEEKS pretty-printed weeks
LOG_BACKLOG = 10_000  # records waiting for the prediction log: tens of seconds of full load, a few MB; then 503
SHUTDOWN_FLUSH_SECONDS = 60.0  # what shutdown waits for the prediction log (e.g. held by another process)
RETRY_AFTER_SECONDS = 5
REQUEST_ID_HEADER = "X-Request-ID"
# The name from before the subpackages: log configurations key on it.
logger = logging.getLogger("hhforecast.api")


DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_EXPECTED = "Input should be a date string YYYY-MM-DD (any day of the week; the answer is labelled by its Monday)"


def _date_string(value: object) -> object:
    """Only a YYYY-MM-DD string goes on to pydantic's date parsing, which would read a number (or a string of
    digits) as a Unix timestamp and a datetime at midnight as its date: `"date": 0` was a forecast for 1969-12-29."""
    if not isinstance(value, str):
        raise PydanticCustomError("date_type", DATE_EXPECTED)
    if not DATE_SHAPE.fullmatch(value):
        raise PydanticCustomError("date_parsing", DATE_EXPECTED)
    return value  # pydantic still refuses a day that does not exist (2018-02-30)


# Any date: the forecast is for its ISO week, answered under the week's Monday.
WeekDate = Annotated[dt.date, BeforeValidator(_date_string), AfterValidator(isoweeks.monday)]


def _feature(name: str, description: str) -> Any:
    low, high = bounds.FIELD_RANGES[name]
    # strict: a JSON number only (true, false or "12" are refused, not coerced to 1.0, 0.0, 12.0)
    return Field(ge=low, le=high, strict=True, description=description)


class Week(BaseModel):
    """One planned week: the dataset's feature columns, within physical bounds."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    date: WeekDate = Field(description="any date of the week, YYYY-MM-DD; the answer is labelled by the week's Monday")
    acft: float = _feature("acft", "aircraft that will fly in the week")
    sum_daily_hours: float = _feature(
        "sum_daily_hours", f"fleet flight hours in the week; at most {bounds.MAX_HOURS_PER_AIRCRAFT_WEEK:g} x acft"
    )
    age_fleet: float = _feature("age_fleet", "mean age (years) of the flying aircraft at the Monday")
    Cycles: float = _feature(
        "Cycles", f"fleet cycles in the week; at most {bounds.MAX_CYCLES_PER_FLIGHT_HOUR:g} x sum_daily_hours"
    )
    sum_uti_mensal: float = _feature(
        "sum_uti_mensal",
        f"fleet flight hours in the {bounds.WINDOW_DAYS} days ending on the week's Sunday; "
        f"at most {bounds.MAX_HOURS_PER_AIRCRAFT_WINDOW:g} x acft",
    )

    @field_validator("sum_daily_hours", "Cycles", "sum_uti_mensal")
    @classmethod
    def _physically_possible(cls, value: float, info: ValidationInfo) -> float:
        field = str(info.field_name)  # set: the validator is bound to named fields
        problem = bounds.relation_problem(field, {**info.data, field: value})
        if problem:
            raise ValueError(problem)
        return value


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weeks: list[Week] = Field(min_length=1, max_length=MAX_WEEKS)


class WeekForecast(BaseModel):
    date: str
    predicted_hh: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float
    model_version: str
    extrapolation: bool
    extrapolated_features: list[str]


class PredictResponse(BaseModel):
    forecasts: list[WeekForecast]


class Guard:
    """Outermost ASGI layer: a request id, the body-size limit, and a JSON 500 for anything unexpected."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        started = answered = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if answered:
                return  # the guard has answered already (413): the app's own reply goes nowhere
            if message["type"] == "http.response.start":
                started = True
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (REQUEST_ID_HEADER.lower().encode(), request_id.encode())],
                }
            await send(message)

        too_large = {"detail": f"request body above {self.max_body_bytes} bytes", "request_id": request_id}
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await _json(send_with_id, 413, too_large)
            return
        seen = 0

        async def bounded_receive() -> Message:
            nonlocal seen, answered
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body_bytes:  # no Content-Length (chunked): answer 413, stop the app reading
                if not started:
                    await _json(send_with_id, 413, too_large)
                answered = True
                return {"type": "http.disconnect"}
            return message

        try:
            await self.app(scope, bounded_receive, send_with_id)
        except Exception:
            logger.exception("request %s %s failed (request id %s)", scope.get("method"), scope.get("path"), request_id)
            if not started and not answered:
                await _json(send_with_id, 500, {"detail": "internal server error", "request_id": request_id})


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})


def _json_safe(value: Any) -> Any:
    """Error details as strict JSON: a NaN or Infinity the client sent is echoed back as text."""
    if isinstance(value, float) and not np.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": _json_safe(jsonable_encoder(exc.errors()))})


def bearer_dependency(token: str) -> Callable[..., None]:
    """A FastAPI dependency requiring `Authorization: Bearer <token>` (constant-time comparison)."""
    scheme = HTTPBearer(auto_error=False, description="HH_API_TOKEN, required when the server is not on loopback")
    expected = token.encode()

    def require(credentials: HTTPAuthorizationCredentials | None = Depends(scheme)) -> None:
        if credentials is None or not hmac.compare_digest(credentials.credentials.encode(), expected):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    return require


def _backlog_full(exc: LogBacklogFull) -> JSONResponse:
    return JSONResponse(
        status_code=503,
        content={"detail": f"{exc}; nothing was forecast, retry later"},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def create_app(
    bundle: Bundle, log_path: Path | None, which_model: str, token: str | None = None, log_backlog: int = LOG_BACKLOG
) -> FastAPI:
    log = PredictionWriter(log_path, capacity=log_backlog) if log_path is not None else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if log is not None:
            log.start()
        try:
            yield
        finally:
            if log is not None:
                await asyncio.to_thread(log.close, SHUTDOWN_FLUSH_SECONDS)

    app = FastAPI(
        title="hh-forecast",
        version=bundle.version,
        description="Weekly unscheduled-maintenance man-hours from planned fleet utilization.",
        lifespan=lifespan,
    )
    # The tf.function's one traced graph, called as such: the same graph and the same numbers, without the
    # tf.function's matching of each call against its signature (about a third of the model's cost for one week).
    trace = getattr(bundle.infer, "get_concrete_function", None)
    if trace is not None:
        bundle = dataclasses.replace(bundle, infer=trace())
    guarded = [Depends(bearer_dependency(token))] if token else []
    unauthorized: dict[int | str, dict[str, Any]] = (
        {401: {"description": "missing or wrong bearer token"}} if token else {}
    )
    body_errors: dict[int | str, dict[str, Any]] = {
        400: {"description": "the body is not valid JSON"},
        413: {"description": f"request body above {MAX_BODY_BYTES} bytes"},
    }
    backlog: dict[int | str, dict[str, Any]] = (
        {503: {"description": "the prediction log is too far behind: nothing forecast, retry later"}}
        if log is not None
        else {}
    )

    @app.get("/health")
    def health() -> dict[str, Any]:
        answer: dict[str, Any] = {"status": "ok", "model_version": bundle.version}
        if log is not None:
            # failed: forecasts answered but never logged (each also reported on stderr)
            answer["prediction_log"] = counts = log.status()
            if counts["failed"] or (counts["pending"] and not log.alive):
                answer["status"] = "degraded"  # forecasts go unlogged, or will: monitoring cannot see them
        return answer

    @app.get("/model", dependencies=guarded, responses=unauthorized)
    def model_card() -> dict[str, Any]:
        meta = bundle.metadata
        return {
            "version": bundle.version,
            "source": bundle.source,
            "served": which_model,
            "features": bundle.features,
            "feature_ranges": meta.get("feature_ranges"),
            "training_window": meta.get("windows"),
            "metrics": meta.get("metrics"),
            "intervals": bundle.calibration.to_json(),
        }

    features = bundle.features

    @app.post(
        "/predict",
        response_model=PredictResponse,
        dependencies=guarded,
        responses={**unauthorized, **body_errors, **backlog},
    )
    async def forecast(request: PredictRequest) -> Any:
        # async, so run on the event loop: the model takes less than the hand-offs to and from a worker thread
        # that a plain `def` costs. The log's write is queued, not awaited: its lock may be held elsewhere.
        # Plain arrays on the request path: pandas costs more than the model for a single week.
        if log is not None:
            try:
                log.check_room(len(request.weeks))  # before the model: an overloaded server computes nothing
            except LogBacklogFull as exc:
                return _backlog_full(exc)
        rows = [[getattr(week, name) for name in features] for week in request.weeks]
        x = np.asarray(rows, dtype="float64")
        fields = predict.forecast_fields(bundle, x)
        if not all(np.isfinite(fields[name]).all() for name in predict.number_fields(fields)):
            raise ValueError("the model gave a non-finite forecast for bounded inputs")  # -> JSON 500, logged
        records = predict.forecast_records([week.date.isoformat() for week in request.weeks], fields)
        if log is not None:
            try:
                log.submit(records, [dict(zip(features, row)) for row in rows], channel="api")
            except LogBacklogFull as exc:  # filled up while this request was being forecast
                return _backlog_full(exc)
        return {"forecasts": records}

    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]  # Starlette types handlers for Exception
    app.add_middleware(Guard)
    return app
