"""Alerts through Apprise, delivered to a small JSON receiver on loopback."""

import pytest

from hhforecast.core.errors import ConfigError
from hhforecast.ops import alerts


def test_an_alert_names_the_status_the_reasons_and_the_run(receiver):
    base, received = receiver
    title, body = alerts.monitor_message(
        "CRITICAL",
        ["MAE over the last 8 weeks is 60.0"],
        ["feature acft may be drifting"],
        ["pipeline #7 started 2026-01-05: dvc repro"],
    )
    assert alerts.send([base + "/hook"], title, body, "failure") == 1
    [message] = received
    assert message["path"] == "/hook"
    assert message["body"]["title"] == "hh-forecast monitor: CRITICAL"
    text = message["body"]["message"]
    assert "status: CRITICAL" in text and "RETRAIN: MAE over the last 8 weeks is 60.0" in text
    assert "warning: feature acft may be drifting" in text and "failed run: pipeline #7" in text


def test_secrets_come_from_the_environment(receiver):
    base, received = receiver
    url = base.replace("127.0.0.1", "${HOOK_HOST}") + "/${HOOK_PATH}"
    alerts.send(
        [url],
        *alerts.run_message("retrain", 3, "dvc repro", 1),
        "failure",
        environ={"HOOK_HOST": "127.0.0.1", "HOOK_PATH": "s3cret"},
    )
    [message] = received
    assert message["path"] == "/s3cret"
    assert "run: retrain #3" in message["body"]["message"] and "exit status: 1" in message["body"]["message"]


@pytest.mark.parametrize(
    "url, environ, error, message",
    [
        ("slack://${HH_SLACK}", {}, ConfigError, "environment variable\\(s\\) HH_SLACK not set"),
        ("nosuchscheme://x", {}, ConfigError, "nosuchscheme:// is not a URL Apprise understands"),
        ("json://127.0.0.1:9/closed", {}, alerts.AlertError, "alert not delivered to json://"),
    ],
)
def test_a_broken_alert_path_is_an_error(url, environ, error, message):
    with pytest.raises(error, match=message):
        alerts.send([url], "t", "b", environ=environ)


def test_no_urls_sends_nothing():
    assert alerts.send([], "t", "b") == 0
