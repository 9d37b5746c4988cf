"""Build reports/report.html (self-contained) and reports/figures/*.png from the pipeline's outputs."""
from __future__ import annotations

import pandas as pd

from hhforecast import config, features, io, paths, report
from hhforecast.stage import run, say


def main() -> None:
    params = config.load()
    dataset = features.read_dataset(paths.WEEKLY_DATASET)
    test = pd.read_csv(paths.TEST_PREDICTIONS)
    production = pd.read_csv(paths.PRODUCTION_PREDICTIONS).rename(
        columns={"predicted_hh": "predicted", "actual_hh": "actual"})
    metadata = io.read_json(paths.MODEL_METADATA)
    metadata["fleet"] = {"min": float(dataset["acft"].min()), "max": float(dataset["acft"].max())}
    monitor = io.read_json(paths.MONITOR)
    figures = {
        "predicted_vs_actual": (report.predicted_vs_actual(test, production), "Forecast vs actual, test and production"),
        "residuals": (report.residuals(test, production), "Residuals"),
        "backtest": (report.backtest_folds(pd.read_csv(paths.BACKTEST)), "Backtest MAE per fold"),
        "training_curve": (report.training_curve(pd.read_csv(paths.DVCLIVE / "plots/metrics/train/loss.tsv", sep="\t"),
                                                 pd.read_csv(paths.DVCLIVE / "plots/metrics/eval/loss.tsv", sep="\t"),
                                                 metadata["best_epoch"], len(metadata.get("members", [None]))),
                           "Training curve"),
        "drift": (report.drift_psi(pd.read_csv(paths.DRIFT), params.monitor.psi_warn, params.monitor.psi_alert),
                  "Feature drift (PSI)"),
        "monitoring": (report.monitoring_windows(pd.read_csv(paths.MONITOR_WEEKLY),
                                                 monitor["performance"]["validation_mae"]), "Production error over time"),
    }
    rendered = {name: (report.png(fig), caption) for name, (fig, caption) in figures.items()}
    for name, (data, _) in rendered.items():
        with io.atomic_path(paths.FIGURES / f"{name}.png") as tmp:
            tmp.write_bytes(data)
    page = report.render_html(rendered, io.read_json(paths.DATA_QUALITY), io.read_json(paths.EVAL), monitor, metadata)
    io.write_text_atomic(page, paths.REPORT)
    say("report", f"{paths.REPORT} ({len(page) / 1024:.0f} KiB) and {len(rendered)} figures in {paths.FIGURES}/")


if __name__ == "__main__":
    run(main, "report")
