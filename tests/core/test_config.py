"""params.yaml problems are one line naming the key, never a traceback."""

import datetime as dt

import pytest
import yaml

from hhforecast.core import config
from hhforecast.core.errors import ConfigError
from tests.helpers import REPO


def write(tmp_path, change=None, text=None):
    path = tmp_path / "params.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
        return path
    values = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    if change:
        change(values)
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


def _intervals(values):
    values["evaluate"]["intervals"] = [0.5, 0.9]


def _quality(values):
    values["quality"]["allow_zero_hh_weeks"] = ["2020-01-07"]


def _psi(values):
    values["monitor"]["psi_warn"] = 2.0


def _false_alarms(values):
    values["monitor"]["false_alarm_rate"] = 0.5


def _train_end(value):
    def change(values):
        values["split"]["train_end"] = value

    return change


@pytest.mark.parametrize(
    "change, text, message",
    [
        (
            _intervals,
            None,
            r"evaluate\.intervals: Value error, interval levels must be \[0\.8, 0\.95\], got \[0\.5, 0\.9\]: "
            r"the API response, the prediction log's columns, monitoring and the report are built for these",
        ),
        (_quality, None, r"quality\.allow_zero_hh_weeks\.0: Value error, 2020-01-07 is a Tuesday"),
        (_psi, None, r"monitor: Value error, psi_warn must be below psi_alert"),
        (_false_alarms, None, r"monitor\.false_alarm_rate: Input should be less than 0\.5"),
        (None, "data: [unclosed\n  - x: 1\n", r"not valid YAML: "),
        (_train_end("2024-04-02"), None, r"split\.train_end: Value error, 2024-04-02 is a Tuesday; weeks are labelled"),
        (
            _train_end("soon"),
            None,
            r"split\.train_end: Value error, expected a Monday \(YYYY-MM-DD\) or 'latest', got 'soon'",
        ),
    ],
)
def test_configuration_errors_are_one_line_naming_the_key(tmp_path, change, text, message):
    with pytest.raises(ConfigError, match=message) as error:
        config.load(write(tmp_path, change, text))
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(("value", "loaded"), [("latest", "latest"), ("2024-04-01", dt.date(2024, 4, 1))])
def test_train_end_is_a_monday_or_latest(tmp_path, value, loaded):
    assert config.load(write(tmp_path, _train_end(value))).split.train_end == loaded


def test_the_repository_params_are_valid():
    params = config.load(REPO / "params.yaml")
    assert params.evaluate.intervals == list(config.SUPPORTED_INTERVALS)
    assert params.monitor.notify == [] and params.quality.allow_zero_hh_weeks == []
