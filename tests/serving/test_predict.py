import datetime as dt
import json
import subprocess

import numpy as np
import pytest

from hhforecast.core.errors import ContractError
from hhforecast.serving import api, bundle, predict, store
from tests.helpers import REPO, hh, small_weekly_dataset


def planned_csv(tmp_path, rows=None, text=None):
    path = tmp_path / "planned.csv"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    else:
        frame = small_weekly_dataset(4).drop(columns="HH")
        frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
        for (row, column), value in (rows or {}).items():
            frame[column] = frame[column].astype(object)
            frame.loc[row, column] = value
        frame.to_csv(path, index=False)
    return path


def test_feature_csv_is_forecast_with_ranges_and_version(tmp_path, params, bundle_root):
    weeks, kind = predict.read_planned(planned_csv(tmp_path), params)
    result = predict.forecast(bundle.load_workspace(bundle_root), weeks)
    assert kind == "features"
    assert list(result.columns) == [
        "date",
        "predicted_hh",
        "lower_80",
        "upper_80",
        "lower_95",
        "upper_95",
        "model_version",
        "extrapolation",
        "extrapolated_features",
    ]
    assert result["date"].tolist() == ["2018-01-01", "2018-01-08", "2018-01-15", "2018-01-22"]


@pytest.mark.parametrize("order", [slice(None, None, -1), slice(0, -1)], ids=["reordered", "one-missing"])
def test_a_batch_whose_features_are_not_the_training_schema_is_refused(tmp_path, params, bundle_root, order):
    weeks, _ = predict.read_planned(planned_csv(tmp_path), params)
    features = list(weeks.columns[1:])[order]
    with pytest.raises(bundle.BundleError, match="do not match the model's training schema"):
        predict.forecast(bundle.load_workspace(bundle_root), weeks[["date", *features]])


def test_the_batch_file_and_the_api_answer_the_same_record(tmp_path, params, bundle_root):
    weeks, _ = predict.read_planned(planned_csv(tmp_path), params)
    weeks.loc[1, "acft"] = 0.0  # below the training range: an extrapolated week
    served = bundle.load_workspace(bundle_root)
    table = predict.forecast(served, weeks)
    assert list(table.columns) == list(api.WeekForecast.model_fields)
    records = predict.forecast_records(
        table["date"].tolist(), predict.forecast_fields(served, weeks[served.features].to_numpy(float))
    )
    assert (records[0]["extrapolated_features"], records[1]["extrapolated_features"]) == ([], ["acft"])
    assert records == [
        {**row, "extrapolated_features": row["extrapolated_features"].split(",") if row["extrapolation"] else []}
        for row in table.to_dict(orient="records")
    ]


def test_planned_utilization_goes_through_the_pipeline_aggregation(tmp_path, params):
    start = dt.date(2024, 1, 1)
    lines = ["data;matricula;horas de voo;ciclos;data de fabricacao"]
    lines += [f"{start + dt.timedelta(days=d):%d/%m/%Y};PR-AX{r};9,5;7;01/01/2015" for d in range(42) for r in "AB"]
    path = tmp_path / "planned_utilization.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    weeks, kind = predict.read_planned(path, params)
    assert kind == "utilization"
    # The 28-day window ending Sunday 2024-01-28 is 2024-01-01..28, all planned: that week is the first.
    assert weeks["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-22", "2024-01-29", "2024-02-05"]
    assert weeks[["acft", "sum_daily_hours", "Cycles", "sum_uti_mensal"]].iloc[0].tolist() == [2, 133.0, 98, 532.0]


@pytest.mark.parametrize(
    "damage, message",
    [
        ({(2, "acft"): "many"}, r"planned\.csv, row 4, column 'acft': not a number: 'many'"),
        ({(0, "sum_daily_hours"): "-5"}, r"planned\.csv, row 2, column 'sum_daily_hours': negative: '-5'"),
        ({(1, "date"): "2018-01-09"}, r"planned\.csv, row 3, column 'date': not a Monday"),
        ({(3, "date"): "next week"}, r"planned\.csv, row 5, column 'date': not a date"),
        ({(1, "Cycles"): ""}, r"planned\.csv, row 3, column 'Cycles': not a number: ''"),
        (
            {(1, "sum_daily_hours"): "1e308"},
            r"planned\.csv, row 3, column 'sum_daily_hours': 1e\+308 is out of bounds: must be within \[0, 336000\]",
        ),
        (
            {(2, "age_fleet"): "75"},
            r"planned\.csv, row 4, column 'age_fleet': 75 is out of bounds: must be within \[0, 60\]",
        ),
        (
            {(0, "acft"): "1"},
            r"planned\.csv, row 2, column 'sum_daily_hours': .* is out of bounds: must be <= 168 "
            r"\(at most 168 flight hours per aircraft per week; acft = 1\)",
        ),
    ],
)
def test_bad_planned_weeks_name_row_and_column(tmp_path, params, damage, message):
    with pytest.raises(ContractError, match=message):
        predict.read_planned(planned_csv(tmp_path, damage), params)


@pytest.mark.parametrize(
    "text, message",
    [
        ("date,acft,sum_daily_hours,age_fleet,Cycles\n2018-01-01,1,2,3,4\n", r"missing column\(s\) 'sum_uti_mensal'"),
        ("date,acft,sum_daily_hours,age_fleet,Cycles,sum_uti_mensal\n", "no planned weeks"),
        ("", "file is empty"),
    ],
)
def test_malformed_planned_file_is_refused(tmp_path, params, text, message):
    with pytest.raises(ContractError, match=message):
        predict.read_planned(planned_csv(tmp_path, text=text), params)


def test_hh_predict_writes_json_and_logs_every_week(tmp_path, bundle_root):
    (bundle_root / "params.yaml").write_text((REPO / "params.yaml").read_text())
    subprocess.run(["git", "init", "-q"], cwd=bundle_root, check=True)
    out, db = tmp_path / "forecast.json", tmp_path / "log.db"
    result = hh(
        bundle_root, "predict", str(planned_csv(tmp_path)), "--format", "json", "-o", str(out), "--log-db", str(db)
    )
    assert result.returncode == 0, result.stderr
    assert "no model has been promoted to prod yet: serving the workspace model" in result.stderr
    forecasts = json.loads(out.read_text())
    assert len(forecasts) == 4 and forecasts[0]["model_version"].startswith("workspace-")
    logged = store.read_predictions(db)
    assert logged["week"].tolist() == [f["date"] for f in forecasts]
    assert logged["channel"].unique().tolist() == ["batch"]
    (run,) = store.read_runs(db).to_dict(orient="records")
    assert (run["kind"], run["status"], run["model_version"]) == ("predict", "succeeded", forecasts[0]["model_version"])
    assert run["detail"] == f"4 weeks from {tmp_path / 'planned.csv'}"


def test_hh_predict_bad_input_exits_non_zero_and_writes_nothing(tmp_path, bundle_root):
    (bundle_root / "params.yaml").write_text((REPO / "params.yaml").read_text())
    out = tmp_path / "forecast.csv"
    result = hh(bundle_root, "predict", str(planned_csv(tmp_path, {(1, "acft"): "x"})), "-o", str(out), "--no-log")
    assert result.returncode == 1
    assert "hh predict: error:" in result.stderr and "row 3, column 'acft'" in result.stderr
    assert not out.exists()


def test_hh_predict_records_a_bad_input_as_a_failed_run_with_its_reason(tmp_path):
    (tmp_path / "params.yaml").write_text((REPO / "params.yaml").read_text())
    db = tmp_path / "log.db"
    result = hh(tmp_path, "predict", str(planned_csv(tmp_path, {(1, "acft"): "x"})), "--log-db", str(db))
    assert result.returncode == 1
    runs = store.read_runs(db)
    assert runs[["kind", "status"]].values.tolist() == [["predict", "failed"]]
    assert "row 3, column 'acft'" in runs["detail"].iloc[0] and store.read_predictions(db).empty


BOUNDS = [("lower", "80", 0.0), ("upper", "80", 3.0), ("lower", "95", 0.0), ("upper", "95", 4.0)]


def test_a_non_finite_forecast_is_refused_never_written(tmp_path, params):
    from types import SimpleNamespace

    from hhforecast.core.errors import HHForecastError

    weeks, _ = predict.read_planned(planned_csv(tmp_path), params)
    broken = SimpleNamespace(
        features=list(weeks.columns[1:]),
        version="v0",
        predict_array=lambda x: {
            "predicted_hh": np.array([1.0, float("nan"), 2.0, float("inf")]),
            **{f"{side}_{key}": np.full(len(x), value) for side, key, value in BOUNDS},
        },
        extrapolated_features=lambda x: [""] * len(x),
        check_schema=lambda columns: None,
    )
    with pytest.raises(
        HHForecastError, match="non-finite forecast for week\\(s\\) 2018-01-08, 2018-01-22; nothing written"
    ):
        predict.forecast(broken, weeks)
