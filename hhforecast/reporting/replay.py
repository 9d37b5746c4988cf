"""The replay report (`reports/replay/`): a year of `hh weekly` replayed (ops.replay), in markdown and a figure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hhforecast.ops.replay import Replayed, Schedule, ratio

# An operations document, in the language of docs/operations.md, whatever report.language (the thesis's) says.
LANGUAGE = "en"


def markdown(
    schedule: Schedule,
    events: pd.DataFrame,
    flags: pd.DataFrame,
    promoted: pd.DataFrame,
    weekly: pd.DataFrame,
    missing: list[str],
    figure_name: str,
) -> str:
    """The replay report: what happened each Monday, when each check first spoke, every promotion with the
    expected error before and after, and every alert."""

    def table(frame: pd.DataFrame) -> str:
        return frame.to_markdown(index=False, floatfmt=".3f") if len(frame) else "(none)"

    first, last = schedule.run_day(0), schedule.run_day(schedule.runs - 1)
    overall = ratio(weekly)
    lines = [
        "# A year of operation, replayed",
        "",
        f"`hh weekly` every Monday from {first} to {last} ({schedule.runs} runs) on the synthetic world, in a clone "
        'that operates on weekly exports with `split.train_end: latest` (docs/operations.md, "A year replayed"). '
        f"The exports of the week before run {schedule.withheld} ({schedule.run_day(schedule.withheld)}) arrive a "
        f"week late; the job of run {schedule.crash} ({schedule.run_day(schedule.crash)}) is killed after its "
        "forecast. Built by `make replay` from the clone's operational store; every number below is computed.",
        "",
        f"![forecasts, promotions and expected error]({figure_name})",
        "",
        "## What the replay had to show",
        "",
        "Everything held: a forecast every week, no crash but the planted one, the drift flagged, the withheld "
        "export and the crash alerted."
        if not missing
        else "**Not shown:**\n\n" + "\n".join(f"- {m}" for m in missing),
        "",
        "## Each Monday",
        "",
        "`exit` is `hh weekly`'s status (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; `killed`: the planted crash); "
        "`checks` are those that raised a problem that week; `alerts` are the titles the receiver got.",
        "",
        table(events),
        "",
        "## When each check first spoke",
        "",
        table(flags),
        "",
        "## Retrains and promotions",
        "",
        "Expected MAE under each week's exact distribution, divided by the median oracle's on the same weeks "
        "(1 is the least any forecast can expect), over the last weeks the replaced model forecast before the "
        "promotion and the first weeks the new model forecast after it.",
        "",
        table(promoted),
        "",
        f"Over all {len(weekly)} weeks forecast, the expected MAE is {overall:.3f}× the oracle's.",
        "",
    ]
    return "\n".join(lines)


def write(done: Replayed, report_dir: Path) -> Path:
    """Write the report, its figure and the alerts' table to `report_dir`; the report's path."""
    from hhforecast.core import io, paths
    from hhforecast.ops.status import PROMOTED, RETRAINED
    from hhforecast.reporting import figures

    schedule = done.schedule
    figure = figures.replay_timeline(
        done.weekly,
        done.history,
        schedule.run_day(schedule.withheld),
        schedule.run_day(schedule.crash),
        LANGUAGE,
        RETRAINED,
        PROMOTED,
    )
    with io.atomic_path(report_dir / paths.REPLAY_FIGURE.name) as tmp:
        tmp.write_bytes(figures.png(figure))
    figures.close(figure)
    text = markdown(
        schedule, done.events, done.flags, done.promotions, done.weekly, done.missing, paths.REPLAY_FIGURE.name
    )
    with io.atomic_path(report_dir / paths.REPLAY_REPORT.name) as tmp:
        tmp.write_text(text, encoding="utf-8")
    io.write_csv_atomic(done.alerts, report_dir / paths.REPLAY_ALERTS.name)
    return report_dir / paths.REPLAY_REPORT.name
