import math
import re

import pandas as pd
import pytest

from hhforecast.dataprep import bounds

WEEK = {"acft": 10.0, "sum_daily_hours": 700.0, "age_fleet": 8.0, "Cycles": 500.0, "sum_uti_mensal": 2800.0}


@pytest.mark.parametrize(
    "change, column, bound",
    [
        ({"sum_daily_hours": 1e308}, "sum_daily_hours", "within [0, 336000]"),
        (
            {"sum_daily_hours": 1681.0},
            "sum_daily_hours",
            "<= 1680 (at most 168 flight hours per aircraft per week; acft = 10)",
        ),
        (
            {"sum_uti_mensal": 6721.0},
            "sum_uti_mensal",
            "<= 6720 (at most 672 flight hours per aircraft in 28 days; acft = 10)",
        ),
        ({"Cycles": 4201.0}, "Cycles", "<= 4200 (at most 6 cycles per flight hour; sum_daily_hours = 700)"),
        ({"age_fleet": 61.0}, "age_fleet", "within [0, 60]"),
        ({"age_fleet": -0.5}, "age_fleet", "within [0, 60]"),
        ({"acft": 2001.0}, "acft", "within [0, 2000]"),
        ({"age_fleet": math.nan}, "age_fleet", "a finite number"),
        ({"sum_uti_mensal": math.inf}, "sum_uti_mensal", "a finite number"),
    ],
)
def test_each_bound_names_the_column_and_the_bound(change, column, bound):
    found = bounds.violations(pd.DataFrame([WEEK, {**WEEK, **change}]))
    assert found["index"].tolist()[:1] == [1]
    assert found["column"].iloc[0] == column and found["bound"].iloc[0] == bound


def test_a_possible_week_has_no_violation():
    assert bounds.violations(pd.DataFrame([WEEK])).empty
    assert bounds.field_problem("acft", 10.0) is None and bounds.relation_problem("Cycles", WEEK) is None


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("acft", math.nan, "acft must be a finite number, got nan"),
        ("age_fleet", 75.0, r"age_fleet must lie in \[0, 60\], got 75"),
    ],
)
def test_field_problems_read_as_sentences(field, value, message):
    assert re.search(message, bounds.field_problem(field, value))


def test_relation_problem_names_both_fields():
    problem = bounds.relation_problem("sum_daily_hours", {**WEEK, "sum_daily_hours": 2000.0})
    assert problem == ("sum_daily_hours 2000 is above 1680 (at most 168 flight hours per aircraft per week; acft = 10)")


def test_non_finite_forecast_rows_are_found():
    frame = pd.DataFrame({"predicted_hh": [1.0, math.nan, 2.0], "lower_80": [0.0, 0.0, math.inf]})
    assert bounds.non_finite_rows(frame, ["predicted_hh", "lower_80"]) == [1, 2]
