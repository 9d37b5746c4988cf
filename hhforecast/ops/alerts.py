"""Alerts through Apprise: one list of URLs (mail, Slack, Teams, JSON webhooks, ...) in `monitor.notify`.

Secrets never sit in params.yaml: a URL names them as `${VARIABLE}` placeholders,
filled from the environment when the alert is sent. A missing variable or a
failed delivery is an error naming the variable or the service (never the
secret), so a broken alert path is not silent either.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping

from hhforecast.core.errors import ConfigError, HHForecastError

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class AlertError(HHForecastError):
    """An alert could not be delivered."""


def expand(url: str, environ: Mapping[str, str]) -> str:
    """`${VAR}` placeholders filled from the environment; a missing variable is an error naming it."""
    missing = [name for name in PLACEHOLDER.findall(url) if name not in environ]
    if missing:
        raise ConfigError(
            f"monitor.notify: environment variable(s) {', '.join(missing)} not set (a notify URL refers to them)"
        )
    return PLACEHOLDER.sub(lambda m: environ[m.group(1)], url)


def _scheme(url: str) -> str:
    return url.split("://", 1)[0] + "://" if "://" in url else "an unrecognized URL"


def send(
    urls: list[str], title: str, body: str, level: str = "warning", environ: Mapping[str, str] | None = None
) -> int:
    """Send one alert to every URL; returns how many were configured (0: nothing to do)."""
    if not urls:
        return 0
    environ = os.environ if environ is None else environ
    failed = []
    with warnings.catch_warnings():  # apprise's plugins import the stdlib's deprecated imghdr: nothing to act on
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise

        notify_type = {
            "info": apprise.NotifyType.INFO,
            "warning": apprise.NotifyType.WARNING,
            "failure": apprise.NotifyType.FAILURE,
        }[level]
        for url in urls:
            target = apprise.Apprise()
            if not target.add(expand(url, environ)):
                raise ConfigError(f"monitor.notify: {_scheme(url)} is not a URL Apprise understands")
            if not target.notify(title=title, body=body, notify_type=notify_type):
                failed.append(_scheme(url))
    if failed:
        raise AlertError(f"alert not delivered to {', '.join(failed)} (see the messages above)")
    return len(urls)


def monitor_message(status: str, reasons: list[str], warnings: list[str], failed_runs: list[str]) -> tuple[str, str]:
    """Title and body of a monitoring alert: the status, every reason, the failed runs."""
    lines = [f"status: {status}"]
    lines += [f"RETRAIN: {r}" for r in reasons]
    lines += [f"warning: {w}" for w in warnings]
    lines += [f"failed run: {r}" for r in failed_runs]
    return f"hh-forecast monitor: {status}", "\n".join(lines)


def run_message(kind: str, run_id: int, command: str, code: int) -> tuple[str, str]:
    """Title and body of a failed-run alert."""
    return (
        f"hh-forecast run failed: {kind} #{run_id}",
        f"status: FAILED\nrun: {kind} #{run_id}\ncommand: {command}\nexit status: {code}",
    )
