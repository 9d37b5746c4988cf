"""Where every stage reads and writes, relative to the repository root (as in dvc.yaml)."""

from pathlib import Path

SYNTHETIC_RAW = Path("data/synthetic/raw")  # generate's, not data.raw_dir: that may point at real exports
SYNTHETIC_TRUTH = Path("data/synthetic/truth")
INTERIM = Path("data/interim")
PROCESSED = Path("data/processed")
METRICS = Path("metrics")

EVENTS_RAW = INTERIM / "events_raw.parquet"
UTILIZATION_RAW = INTERIM / "utilization_raw.parquet"
INGEST_REPORT = INTERIM / "ingest_report.json"
EVENTS_CLEAN = INTERIM / "events_clean.parquet"
UTILIZATION_CLEAN = INTERIM / "utilization_clean.parquet"
REJECTS = INTERIM / "rejects.csv"
CLEAN_REPORT = INTERIM / "clean_report.json"
WEEKLY_UTILIZATION = INTERIM / "weekly_utilization.parquet"
DAILY_UTILIZATION = INTERIM / "daily_utilization.parquet"
WEEKLY_HH = INTERIM / "weekly_hh.parquet"
DAILY_HH = INTERIM / "daily_hh.parquet"
WEEKLY_DATASET = PROCESSED / "dataset_uti_vs_hh_semanal.csv"
DAILY_DATASET = PROCESSED / "dataset_uti_vs_hh_diario.csv"
DATA_QUALITY = METRICS / "data_quality.json"
DATA_QUALITY_FAILURES = METRICS / "data_quality_failures.csv"

MODELS = Path("models")
MODEL = MODELS / "model.keras"
SCALER = MODELS / "scaler.json"
INTERVALS = MODELS / "intervals.json"
MODEL_METADATA = MODELS / "model_metadata.json"
BASELINES = MODELS / "baselines"
DVCLIVE = Path("dvclive")
DVCLIVE_METRICS = DVCLIVE / "metrics.json"  # the first network's final metrics
DVCLIVE_PLOTS = DVCLIVE / "plots"
TRAIN_LOSS = DVCLIVE_PLOTS / "metrics/train/loss.tsv"  # the first network's loss per epoch
VAL_LOSS = DVCLIVE_PLOTS / "metrics/eval/loss.tsv"
PREDICTIONS = Path("data/predictions")
TEST_PREDICTIONS = PREDICTIONS / "test_predictions.csv"
EVAL = METRICS / "eval.json"
BACKTEST = METRICS / "backtest.csv"
BACKTEST_WEEKS = METRICS / "backtest_weeks.csv"
PRODUCTION_PREDICTIONS = PREDICTIONS / "production_predictions.csv"
PLANNED_FORECASTS = PREDICTIONS / "planned_forecasts.csv"  # `hh weekly`'s forecast of the planned weeks
MONITOR = METRICS / "monitor.json"
MONITOR_WEEKLY = METRICS / "monitor_weekly.csv"
DRIFT = METRICS / "drift.csv"
REPORTS = Path("reports")
REPORT = REPORTS / "report.html"
RESULTS = REPORTS / "results.md"
FIGURES = REPORTS / "figures"
THESIS = REPORTS / "thesis"
DVC_YAML = Path("dvc.yaml")
DVC_LOCK = Path("dvc.lock")  # the thesis's provenance reads its inputs' md5s from it
DECISIONS = REPORTS / "decisions.md"  # the decision log: one line per promotion or rollback
SWEEP = METRICS / "sweep"  # a hyperparameter sweep's records, one JSON per run (reporting.sweep)
REPLAY = REPORTS / "replay"  # `hh replay`'s report: not a DVC output (it operates a clone for a year)
REPLAY_REPORT = REPLAY / "replay.md"
REPLAY_FIGURE = REPLAY / "replay.png"
REPLAY_ALERTS = REPLAY / "alerts.csv"

STUDY_WORLDS = METRICS / "study"
STUDY = METRICS / "study.json"
STUDY_REPORT = REPORTS / "study.md"
STUDY_THESIS = REPORTS / "thesis-study"  # the study's thesis tables and figure; reports/thesis/ is the main pipeline's
STUDY_FIGURE = FIGURES / "study_ratio.png"  # the study's; the report stage declares its own figures one by one


def study_block(family: str, first: int) -> Path:
    """One block of worlds' results (study.blocks), named by its family and first world."""
    return STUDY_WORLDS / f"{family}_{first}.json"
