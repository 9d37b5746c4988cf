"""A weekly dataset brought in whole (data.source: dataset): read cell by cell, checked by join's rules."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from hhforecast.core import paths
from hhforecast.core.errors import ContractError, DataQualityError
from hhforecast.dataprep import own_dataset, weekly_dataset
from tests.helpers import project_copy, run_stage, tiny_weekly_dataset


def notebook_file(tmp_path, frame: pd.DataFrame | None = None, name: str = "own.csv"):
    """The dataset as a notebook writes it: pandas' index as the first column, dates as datetimes."""
    frame = tiny_weekly_dataset(6) if frame is None else frame
    path = tmp_path / name
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d 00:00:00")).to_csv(path)
    return path


def test_a_notebooks_file_reads_as_the_dataset_join_writes(tmp_path):
    read = own_dataset.read(notebook_file(tmp_path))
    pd.testing.assert_frame_equal(read, tiny_weekly_dataset(6))
    assert list(read.columns) == weekly_dataset.DATASET_COLUMNS


def _written(path, text: str):
    path.write_text(text)
    return path


def _edit(tmp_path, old: str, new: str, count: int = 1):
    path = notebook_file(tmp_path)
    path.write_text(path.read_text().replace(old, new, count))
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "absent.csv", "absent.csv: no such file (data.dataset_path in params.yaml)"),
        (lambda p: _edit(p, ",HH", ",hh_total"), "lacks column(s) ['HH']"),
        (lambda p: _edit(p, ",HH", ",HH,fleet"), "has column(s) ['fleet'] the dataset does not define"),
        (lambda p: _written(p / "empty.csv", ""), "empty.csv: not a readable CSV file"),
        (lambda p: _edit(p, "2020-01-13 00:00:00", "13/01/2020"), "row 3, column 'date': '13/01/2020' is not a date"),
        (lambda p: _edit(p, "2020-01-13 00:00:00", "2020-01-13 12:00:00"), "row 3, column 'date'"),
        (lambda p: _edit(p, "2020-01-13 00:00:00", "2020-01-12"), "row 3, column 'date': 2020-01-12 is a Sunday"),
        (lambda p: _edit(p, ",12.5\n", ",12;5\n"), "row 2, column 'HH': week 2020-01-06: '12;5' is not a number"),
        (lambda p: _edit(p, ",12.5\n", ",\n", 2), "row 2, column 'HH': week 2020-01-06: is empty; 2 such cell(s)"),
        (lambda p: _edit(p, ",12.5\n", ",inf\n"), "row 2, column 'HH': week 2020-01-06: 'inf' is not a number"),
        (lambda p: _edit(p, "2020-01-13 00:00:00", "2020-01-13T00:00:00+00:00"), "row 3, column 'date'"),
        (lambda p: _edit(p, "2020-01-13 00:00:00", "20200113"), "row 3, column 'date': '20200113' is not a date"),
        (lambda p: _edit(p, "\n1,", "\n\n1,"), "row 3, column 'date': '' is not a date"),  # a blank line counts
    ],
)
def test_a_bad_file_is_refused_naming_its_row_and_column(tmp_path, make, message):
    with pytest.raises(ContractError, match=re.escape(message)):
        own_dataset.read(make(tmp_path))


def test_a_header_without_weeks_is_refused(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(",".join(weekly_dataset.DATASET_COLUMNS) + "\n")
    with pytest.raises(ContractError, match="header.csv: has a header but no weeks"):
        own_dataset.read(path)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            tiny_weekly_dataset(6).drop(index=2).reset_index(drop=True),
            "column 'date': the weeks must follow each other, 7 days apart; after 2020-01-13 (row 3) comes 2020-01-27",
        ),
        (tiny_weekly_dataset(6, HH={3: -1.0}), "HH (greater_than_or_equal_to(0)) at week 2020-01-27 (row 5)"),
        (tiny_weekly_dataset(6, acft={1: 2.5}), "acft (whole aircraft) at week 2020-01-13 (row 3)"),
        (tiny_weekly_dataset(6, sum_daily_hours={4: 400.0}), "at week 2020-02-03 (row 6)"),
        (
            tiny_weekly_dataset(6, HH={0: 0.0}),
            "own.csv, column 'HH': 1 week(s) where the fleet flew but HH is 0: 2020-01-06 (row 2); if genuine",
        ),
    ],
)
def test_joins_rules_apply_and_the_error_names_the_week_and_the_column(tmp_path, frame, message):
    source = tmp_path / "own.csv"
    checked = own_dataset.assess(frame, [], source)
    assert checked.summary["schema_failures"] == len(checked.failures) >= 1
    with pytest.raises(DataQualityError, match=re.escape(message)):
        own_dataset.require_passed(checked, frame, source, "metrics/data_quality_failures.csv")


def test_a_clean_dataset_passes_and_its_summary_says_where_it_came_from(tmp_path):
    frame = tiny_weekly_dataset(6, HH={2: 0.0})
    checked = own_dataset.assess(frame, [frame["date"][2].date()], tmp_path / "own.csv")  # an allowed quiet week
    own_dataset.require_passed(checked, frame, tmp_path / "own.csv", "failures.csv")  # raises nothing
    assert checked.failures.empty
    assert checked.summary["source"] == "dataset" and checked.summary["weeks"] == 6
    assert (checked.summary["first_week"], checked.summary["last_week"]) == ("2020-01-06", "2020-02-10")
    assert "rows" not in checked.summary  # no raw rows were read


def test_join_writes_the_dataset_from_the_file_and_an_empty_daily_one(tmp_path):
    source = notebook_file(tmp_path)
    work = project_copy(tmp_path, tmp_path / "no-raw", data={"source": "dataset", "dataset_path": str(source)})
    done = run_stage(work, "join")
    assert done.returncode == 0, done.stderr
    assert "data.source is dataset: 6 weeks from" in done.stderr  # progress goes to stderr
    written = weekly_dataset.read_dataset(work / paths.WEEKLY_DATASET)
    pd.testing.assert_frame_equal(written, tiny_weekly_dataset(6), check_dtype=False)
    assert (work / paths.DAILY_DATASET).read_text().strip() == ",".join(weekly_dataset.DATASET_COLUMNS)
    assert json.loads((work / paths.DATA_QUALITY).read_text())["source"] == "dataset"


def test_join_refuses_a_bad_file_with_one_line_and_writes_no_dataset(tmp_path):
    source = notebook_file(tmp_path, tiny_weekly_dataset(6, HH={3: -1.0}))
    work = project_copy(tmp_path, tmp_path / "no-raw", data={"source": "dataset", "dataset_path": str(source)})
    done = run_stage(work, "join")
    assert done.returncode == 1
    assert "HH (greater_than_or_equal_to(0)) at week 2020-01-27 (row 5)" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (work / paths.WEEKLY_DATASET).exists()
    assert "HH" in (work / paths.DATA_QUALITY_FAILURES).read_text()  # the failures are kept for reading
