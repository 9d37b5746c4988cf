"""Build reports/report.html (self-contained) and reports/figures/*.png from the pipeline's outputs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import yaml

from hhforecast.core import config, io, paths
from hhforecast.core.stage import run, say
from hhforecast.dataprep import weekly_dataset
from hhforecast.reporting import report, thesis


def main() -> None:
    params = config.load()
    dataset = weekly_dataset.read_dataset(paths.WEEKLY_DATASET)
    test = pd.read_csv(paths.TEST_PREDICTIONS)
    production = pd.read_csv(paths.PRODUCTION_PREDICTIONS).rename(
        columns={"predicted_hh": "predicted", "actual_hh": "actual"}
    )
    metadata = io.read_json(paths.MODEL_METADATA)
    metadata["fleet"] = {"min": float(dataset["acft"].min()), "max": float(dataset["acft"].max())}
    monitor = io.read_json(paths.MONITOR)
    figures = {
        "predicted_vs_actual": (
            report.predicted_vs_actual(test, production),
            "Forecast vs actual, test and production",
        ),
        "residuals": (report.residuals(test, production), "Residuals"),
        "backtest": (report.backtest_folds(pd.read_csv(paths.BACKTEST)), "Backtest MAE per fold"),
        "training_curve": (
            report.training_curve(
                pd.read_csv(paths.DVCLIVE / "plots/metrics/train/loss.tsv", sep="\t"),
                pd.read_csv(paths.DVCLIVE / "plots/metrics/eval/loss.tsv", sep="\t"),
                metadata["best_epoch"],
                len(metadata.get("members", [None])),
            ),
            "Training curve",
        ),
        "drift": (
            report.drift_psi(pd.read_csv(paths.DRIFT), params.monitor.psi_warn, params.monitor.psi_alert),
            "Feature drift (PSI)",
        ),
        "monitoring": (
            report.monitoring_windows(pd.read_csv(paths.MONITOR_WEEKLY), monitor["performance"]["validation_mae"]),
            "Production error over time",
        ),
    }
    rendered = {name: (report.png(fig), caption) for name, (fig, caption) in figures.items()}
    for name, (data, _) in rendered.items():
        with io.atomic_path(paths.FIGURES / f"{name}.png") as tmp:
            tmp.write_bytes(data)
    page = report.render_html(rendered, io.read_json(paths.DATA_QUALITY), io.read_json(paths.EVAL), monitor, metadata)
    io.write_text_atomic(page, paths.REPORT)
    say("report", f"{paths.REPORT} ({len(page) / 1024:.0f} KiB) and {len(rendered)} figures in {paths.FIGURES}/")
    written = write_thesis(params.report.language, dataset, test, production)
    say("report", f"{written} thesis files ({params.report.language}) in {THESIS}/")


THESIS = paths.REPORTS / "thesis"


def write_thesis(language: str, dataset: pd.DataFrame, test: pd.DataFrame, production: pd.DataFrame) -> int:
    """reports/thesis/: each figure as PDF and PNG, each table as .tex, every file with its provenance."""
    lock = yaml.safe_load(Path("dvc.lock").read_text(encoding="utf-8")) if Path("dvc.lock").exists() else {}
    quality, evaluation = io.read_json(paths.DATA_QUALITY), io.read_json(paths.EVAL)
    folds = pd.read_csv(paths.BACKTEST)
    curves = [pd.read_csv(paths.DVCLIVE / f"plots/metrics/{part}/loss.tsv", sep="\t") for part in ("train", "eval")]
    used = {"report.language": language}

    def lines(*inputs) -> list[str]:
        names = [p.as_posix() for p in inputs]
        hashes = thesis.input_hashes(lock, names)
        hashes.update({n: file_md5(n) for n in names if n not in hashes})
        return thesis.provenance(hashes, used)

    figures = {
        "weekly_series": (thesis.weekly_series(dataset, language), [paths.WEEKLY_DATASET]),
        "hh_vs_features": (thesis.hh_vs_features(dataset, language), [paths.WEEKLY_DATASET]),
        "rejects": (thesis.rejects_by_reason(quality, language), [paths.DATA_QUALITY]),
        "predicted_vs_actual": (
            thesis.predicted_vs_actual(test, production, language),
            [paths.TEST_PREDICTIONS, paths.PRODUCTION_PREDICTIONS],
        ),
        "residuals": (
            thesis.residuals(test, production, language),
            [paths.TEST_PREDICTIONS, paths.PRODUCTION_PREDICTIONS],
        ),
        "backtest": (thesis.backtest_folds(folds, language), [paths.BACKTEST]),
        "training_curve": (thesis.training_curve(*curves, language), [paths.DVCLIVE / "plots"]),
    }
    files: dict[str, bytes | str] = {}
    environments = []
    for name, (figure, inputs) in figures.items():
        caption = thesis.text(f"fig_{name}", language)
        files[f"{name}.pdf"] = thesis.pdf(figure, caption, lines(*inputs))
        files[f"{name}.png"] = thesis.png(figure, caption, lines(*inputs))
        report.plt.close(figure)
        environments.append(thesis.figure_environment(name, caption))
    everything = [
        paths.WEEKLY_DATASET,
        paths.TEST_PREDICTIONS,
        paths.PRODUCTION_PREDICTIONS,
        paths.BACKTEST,
        paths.DATA_QUALITY,
        paths.DVCLIVE / "plots",
    ]
    files["figures.tex"] = "".join(f"% {line}\n" for line in lines(*everything)) + "\n".join(environments)
    files["dataset_summary.tex"] = thesis.dataset_summary(dataset, language, lines(paths.WEEKLY_DATASET))
    files["rejects_by_reason.tex"] = thesis.rejects_table(quality, language, lines(paths.DATA_QUALITY))
    files["model_comparison.tex"] = thesis.model_comparison(evaluation, language, lines(paths.EVAL))
    files["evaluation_summary.tex"] = thesis.evaluation_summary(evaluation, language, lines(paths.EVAL))
    dm = thesis.diebold_mariano(evaluation, language, lines(paths.EVAL))
    if dm is not None:
        files["diebold_mariano.tex"] = dm
    files["backtest.tex"] = thesis.backtest_table(folds, language, lines(paths.BACKTEST))
    for name, content in files.items():
        with io.atomic_path(THESIS / name) as tmp:
            tmp.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return len(files)


def file_md5(path: str) -> str:
    """md5 of a file (as dvc records it), or of a folder's sorted files, for inputs dvc.lock does not list."""
    target = Path(path)
    digest = hashlib.md5()
    for file in sorted(target.rglob("*")) if target.is_dir() else [target]:
        if file.is_file():
            digest.update(file.read_bytes())
    return digest.hexdigest()


if __name__ == "__main__":
    run(main, "report")
