"""params.yaml -> typed, validated configuration.

Each stage reads only its own section; a typo or a wrong type in params.yaml
fails here with the dotted key that is wrong, not deep inside a stage.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hhforecast.core.contract import Monday, require_monday
from hhforecast.core.errors import ConfigError

DEFAULT_PARAMS = Path("params.yaml")
# The interval levels every consumer is built for (lower_80/upper_80, lower_95/upper_95 columns and fields).
SUPPORTED_INTERVALS = (0.8, 0.95)
# The interval whose coverage the simulation study records per world and summarizes (its JSON's coverage_80).
STUDY_LEVEL = 0.8
# The languages of the thesis's figures and tables (report.language); the first is the default.
ReportLanguage = Literal["pt", "en"]
LANGUAGES: tuple[ReportLanguage, ...] = get_args(ReportLanguage)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Where the weekly dataset comes from: `raw`, built from the exports by ingest … join; `dataset`, an existing
# weekly dataset file (data.dataset_path) that join checks by the same rules and writes as its own.
DataSource = Literal["raw", "dataset"]
RAW_SOURCE: DataSource = "raw"
DATASET_SOURCE: DataSource = "dataset"


def built_from_exports(quality: dict[str, Any]) -> bool:
    """Whether metrics/data_quality.json describes a dataset built from raw exports (rows read, kept, rejected),
    not a weekly dataset brought in whole (its `source` is DATASET_SOURCE; raw runs write no `source`)."""
    return quality.get("source", RAW_SOURCE) == RAW_SOURCE


class DataParams(_Section):
    raw_dir: Path
    truth_dir: str = ""
    fleets: list[str] | None = None  # aircraft types to model; None: every type
    source: DataSource = RAW_SOURCE
    dataset_path: Path = Path("examples/dataset_uti_vs_hh_semanal.csv")

    @property
    def from_dataset(self) -> bool:
        """True when the weekly dataset is a file brought in, so that no raw exports are read."""
        return self.source == DATASET_SOURCE


class DriftParams(_Section):
    weeks: int = Field(ge=0)
    used_aircraft: int = Field(ge=0)
    used_age_years: tuple[float, float]
    rate_multiplier: float = Field(gt=0)


class SyntheticParams(_Section):
    seed: int
    start: Monday
    weeks: int = Field(ge=20)
    events_lag_weeks: int = Field(ge=4)
    scale: float = Field(gt=0)
    fleet_start: int = Field(ge=1)
    fleet_end: int = Field(ge=1)
    used_delivery_share: float = Field(ge=0, le=1)
    retirements: int = Field(ge=0)
    plateau_weeks: int = Field(ge=0)
    aircraft_types: list[str] = Field(min_length=1)
    fh_per_day: tuple[float, float]
    sector_hours: float = Field(gt=0)
    heavy_check_every_days: int = Field(gt=0)
    heavy_check_days: int = Field(ge=0)
    collapse_start: dt.date
    collapse_trough: float = Field(gt=0, le=1)
    collapse_recovery_weeks: int = Field(ge=1)
    rate_fh: float = Field(ge=0)
    rate_fc: float = Field(ge=0)
    rate_day: float = Field(ge=0)
    # Share added to the per-flight-hour rate per year of age (utilization x age); 0: none.
    interaction: float = Field(default=0.0, ge=0)
    aging_breaks: tuple[float, float]
    aging_slopes: tuple[float, float, float]
    source_mix: dict[str, float]
    hh_log_mean: float
    hh_log_sigma: float = Field(gt=0)
    aog_probability: float = Field(ge=0, le=1)
    aog_hours: tuple[float, float]
    max_actions_per_defect: int = Field(ge=1)
    overlap_days: int = Field(ge=0)
    conflicting_utilization_rows: int = Field(ge=0)
    invalid_event_rows: dict[str, int]
    drift: DriftParams


class ColumnContract(_Section):
    required: list[str]
    aliases: dict[str, list[str]]

    @model_validator(mode="after")
    def _required_have_aliases(self) -> ColumnContract:
        missing = [name for name in self.required if name not in self.aliases]
        if missing:
            raise ValueError(f"required columns without aliases: {missing}")
        return self


class EventsContract(ColumnContract):
    sources: dict[str, list[str]]


class ContractParams(_Section):
    header_search_rows: int = Field(ge=1)
    events: EventsContract
    utilization: ColumnContract


class IngestParams(_Section):
    max_workbook_mb: float = Field(gt=0)
    max_compression_ratio: float = Field(gt=1)
    max_inflated_mb: float = Field(gt=0)
    workers: int = Field(ge=1)


class CleanParams(_Section):
    keep_sources: list[str] = Field(min_length=1)
    max_hh_per_row: float = Field(gt=0)
    max_flight_hours_per_day: float = Field(gt=0)
    date_column: Literal["raised_at", "closed_at"]


class AggregateParams(_Section):
    window_days: int = Field(ge=7)


class QualityParams(_Section):
    # Mondays of weeks where a flying fleet truly raised no kept defect; any other such week fails join.
    allow_zero_hh_weeks: list[Monday] = Field(default_factory=list)


# split.train_end's moving value: the dataset's last week (weekly_dataset.resolve_train_end), so that the
# training, validation and test windows move with the data while the same data still gives the same date.
LATEST = "latest"


class SplitParams(_Section):
    train_end: dt.date | Literal["latest"]
    val_weeks: int = Field(ge=4)
    test_weeks: int = Field(ge=4)

    @field_validator("train_end", mode="before")
    @classmethod
    def _monday_or_latest(cls, value: object) -> object:
        if value == LATEST:
            return value
        try:
            date = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"expected a Monday (YYYY-MM-DD) or '{LATEST}', got {value!r}") from None
        return require_monday(date)


# The hybrid's skip: a linear model of HH, without intercept, in these terms ("a*b" is a product). It is
# fitted first, by least squares on the network's own training weeks, and carries every extrapolation.
SKIP_FACTORS = ("acft", "sum_daily_hours", "age_fleet", "Cycles")


class MlpParams(_Section):
    linear_skip: bool = False  # wide & deep: a linear path on standardized inputs, fitted jointly with the MLP


class HybridParams(_Section):
    skip_terms: list[str] = Field(min_length=1)
    # The features the correction sees, clipped to the training range (checked against the dataset's
    # features where the network is built); null: all of them.
    correction_inputs: list[str] | None = Field(default=None, min_length=1)

    @field_validator("skip_terms")
    @classmethod
    def _known_factors(cls, value: list[str]) -> list[str]:
        for term in value:
            factors = term.split("*")
            if len(factors) > 2 or any(f not in SKIP_FACTORS for f in factors):
                raise ValueError(f"skip term {term!r}: a term is one or two of {', '.join(SKIP_FACTORS)} joined by '*'")
        return value


class TrainParams(_Section):
    architecture: Literal["hybrid", "mlp"] = "mlp"
    layers: int = Field(ge=1, le=8)
    units: int = Field(ge=1)
    dropout: float = Field(ge=0, lt=1)
    learning_rate: float = Field(gt=0)
    epochs: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    patience: int = Field(ge=1)
    loss: Literal["mae", "mse", "huber", "poisson"]
    # The last weeks of the training window that choose the epoch count; the network is then refit on
    # every training week with it, and the validation window stays free for calibrating the ranges.
    early_stopping_weeks: int = Field(default=26, ge=4)
    mlp: MlpParams = MlpParams()
    hybrid: HybridParams = HybridParams(skip_terms=["sum_daily_hours", "sum_daily_hours*age_fleet"])
    # The ranges' shape (forecasting/intervals.py): symmetric around the forecast, or each arm its own quantile.
    range_shape: Literal["symmetric", "asymmetric"] = "symmetric"
    ensemble: int = Field(default=1, ge=1)
    seed: int

    @model_validator(mode="after")
    def _architecture_fits_settings(self) -> TrainParams:
        if self.loss == "poisson" and self.architecture != "hybrid":
            raise ValueError("loss poisson needs architecture hybrid: only its output is positive by construction")
        if self.dropout > 0 and self.architecture != "mlp":
            raise ValueError("dropout is an mlp setting: the hybrid's correction is kept small by early stopping")
        return self


class EvaluateParams(_Section):
    intervals: list[float] = Field(min_length=1)
    backtest_min_train_weeks: int = Field(ge=52)
    backtest_step_weeks: int = Field(ge=1)
    backtest_workers: int = Field(ge=1)
    gbm_seed: int

    @field_validator("intervals")
    @classmethod
    def _levels_are_supported(cls, value: list[float]) -> list[float]:
        if sorted(value) != list(SUPPORTED_INTERVALS):
            raise ValueError(
                f"interval levels must be {list(SUPPORTED_INTERVALS)}, got {value}: the API response, "
                f"the prediction log's columns, monitoring and the report are built for these levels"
            )
        return sorted(value)


class MonitorParams(_Section):
    reference_weeks: int = Field(ge=8)
    window_weeks: int = Field(ge=1)
    min_drift_weeks: int = Field(ge=2)
    false_alarm_rate: float = Field(gt=0, lt=0.5)
    horizon_weeks: int = Field(ge=1)
    error_rise_warn: float = Field(gt=0, lt=1)
    psi_bins: int = Field(ge=2)
    aging_features: list[str] = Field(default_factory=list)
    seasonal_features: list[str] = Field(default_factory=list)
    outside_share: float = Field(default=0.5, gt=0, le=1)
    psi_warn: float = Field(gt=0)
    psi_alert: float = Field(gt=0)
    ks_pvalue: float = Field(gt=0, lt=1)
    max_model_age_weeks: int = Field(ge=1)
    volume_drop_ratio: float = Field(gt=0, lt=1)
    # Availability (`hh monitor`, against the wall clock; None: not checked): data that stopped arriving, and a
    # weekly job that did not run, crashed or hangs.
    max_data_age_days: int | None = Field(default=None, ge=1)
    max_run_age_days: int | None = Field(default=None, ge=1)
    # The error detector behind the verdict: the rank test on the last window_weeks (`rank`), or a CUSUM over
    # every production week (`cusum`), its level calibrated by a block bootstrap of the validation errors.
    error_detector: Literal["rank", "cusum"] = "rank"
    cusum_slack: float = Field(default=0.5, ge=0)  # in reference SDs: the drift a CUSUM ignores per week
    cusum_block_weeks: int = Field(default=4, ge=1)  # bootstrap blocks: the errors' autocorrelation they keep
    # `hh weekly` retrains when the verdict recommends it or the production model's data is this many weeks
    # old, but never within the cooldown of the model's last week (drift must not retrain every week).
    retrain_every_weeks: int = Field(default=13, ge=1)
    retrain_cooldown_weeks: int = Field(default=4, ge=0)
    notify: list[str] = Field(default_factory=list)  # Apprise URLs; secrets as ${VAR} from the environment

    @model_validator(mode="after")
    def _warn_below_alert(self) -> MonitorParams:
        if self.psi_warn >= self.psi_alert:
            raise ValueError("psi_warn must be below psi_alert")
        return self


class StudyParams(_Section):
    """The simulation study (docs/design.md, "The simulation study"): families x worlds, and how to run them."""

    # Scenario family -> overrides of `synthetic` (nested keys as nested mappings); {} is today's world.
    families: dict[str, dict[str, Any]] = Field(min_length=1)
    # Worlds run in blocks (one DVC stage per family x block): block k holds worlds first_k ... first_k + block_size - 1.
    blocks: list[int] = Field(min_length=1)
    block_size: int = Field(default=5, ge=1)
    ensemble: int | None = Field(default=None, ge=1)  # networks per fit; None: train.ensemble
    epochs: int | None = Field(default=None, ge=1)  # None: train.epochs
    backend: Literal["loky", "dask"] = "loky"
    scheduler: str | None = None  # dask: tcp://HOST:8786
    n_jobs: int = Field(default=2, ge=1)
    # The error detectors' power: in these families' drift-free twins, the defect rate multiplied by each of
    # rate_changes from the first production week, no feature moving; each detector replayed on the network.
    detector_families: list[str] = Field(default_factory=list)
    rate_changes: list[float] = Field(default_factory=list)

    @property
    def worlds(self) -> list[int]:
        """Every world number, block by block; each world's seeds follow from its number."""
        return [world for first in self.blocks for world in self.block(first)]

    def block(self, first: int) -> list[int]:
        return list(range(first, first + self.block_size))

    @model_validator(mode="after")
    def _blocks_hold_distinct_worlds(self) -> StudyParams:
        worlds = self.worlds
        if min(self.blocks) < 1 or len(set(worlds)) != len(worlds):
            raise ValueError(
                f"blocks must start at numbers >= 1 at least block_size ({self.block_size}) apart, so that "
                f"no world is in two blocks; got {self.blocks}"
            )
        if len(worlds) < 2:
            raise ValueError("the study needs at least 2 worlds (blocks x block_size) for an interval")
        return self

    @field_validator("families")
    @classmethod
    def _family_names_are_plain(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        bad = [name for name in value if not re.fullmatch(r"[a-z][a-z0-9_]*", name)]
        if bad:
            raise ValueError(f"family names must be lowercase words (they name files and stages), got {bad}")
        return value

    @model_validator(mode="after")
    def _dask_needs_a_scheduler(self) -> StudyParams:
        if self.backend == "dask" and not self.scheduler:
            raise ValueError("backend dask needs scheduler (tcp://HOST:8786)")
        return self


def _merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overrides.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def family_synthetic(synthetic: SyntheticParams, overrides: dict[str, Any], family: str = "") -> SyntheticParams:
    """`synthetic` with a family's overrides applied (nested mappings merge); errors name the family's key."""
    try:
        return SyntheticParams.model_validate(_merged(synthetic.model_dump(), overrides))
    except ValidationError as exc:
        problems = "; ".join(
            f"study.families.{family}.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(problems) from None


class ServeParams(_Section):
    host: str
    port: int = Field(ge=1, le=65535)
    prediction_log: Path
    planned_utilization: Path = Path("data/planned/planned_utilization.csv")  # what `hh weekly` forecasts


class RegistryParams(_Section):
    coverage_tolerance: float = Field(gt=0, lt=1)
    refresh_margin: float = Field(ge=0, lt=1)


class ReportParams(_Section):
    language: ReportLanguage = LANGUAGES[0]  # labels and captions of the thesis figures and tables


class VerifyParams(_Section):
    # `make verify` on another machine kind: a reproduced metric passes within this relative
    # difference of the committed one (on the machine kind that produced them: exact).
    rel_tolerance: float = Field(default=1e-4, ge=0, lt=1)
    abs_tolerance: float = Field(default=1e-3, ge=0)  # in the metric's own unit (HH for errors)


class ReplayParams(_Section):
    """`hh replay` (`make replay`): the synthetic world's last `weeks` weeks operated one Monday at a time."""

    weeks: int = Field(ge=4)
    withheld_week: int = Field(ge=1)  # the run whose week's exports arrive a week late
    crash_week: int = Field(ge=1)  # the run whose job is killed after its forecast
    planned_weeks: int = Field(ge=1)  # weeks the planner's file holds each Monday
    compare_weeks: int = Field(default=8, ge=1)  # weeks before and after a promotion whose errors are compared
    workdir: Path  # the operated clone, rebuilt by every replay
    overrides: dict[str, Any] = Field(default_factory=dict)  # dotted params.yaml keys the clone sets


class Params(_Section):
    model_config = ConfigDict(extra="allow", frozen=True)

    data: DataParams
    synthetic: SyntheticParams
    contract: ContractParams
    ingest: IngestParams
    clean: CleanParams
    aggregate: AggregateParams
    quality: QualityParams = QualityParams()
    split: SplitParams
    train: TrainParams
    evaluate: EvaluateParams
    serve: ServeParams
    registry: RegistryParams
    monitor: MonitorParams
    report: ReportParams = ReportParams()
    verify: VerifyParams = VerifyParams()
    study: StudyParams | None = None
    replay: ReplayParams | None = None

    @model_validator(mode="after")
    def _families_are_valid_worlds(self) -> Params:
        if self.study is not None:
            for name, overrides in self.study.families.items():
                try:
                    family_synthetic(self.synthetic, overrides, name)
                except ConfigError as exc:
                    raise ValueError(str(exc)) from None
        return self


def study_section(params: Params) -> StudyParams:
    """params.yaml's study section (families, blocks, budget, backend), which the study cannot run without."""
    if params.study is None:
        raise ConfigError("study: section missing from params.yaml")
    return params.study


def load(path: str | Path = DEFAULT_PARAMS) -> Params:
    """Read and validate params.yaml; every problem is reported with its dotted key."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: parameters file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {' '.join(str(err['msg']).split())}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
