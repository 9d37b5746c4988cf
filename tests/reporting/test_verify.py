import json

import pytest

from hhforecast.reporting import verify

COMMITTED = {"test": {"mae": 37.460667, "n_weeks": 52}, "skill_vs_best_baseline": -0.046725, "model": "keras"}


def checks_for(reproduced: dict, rel_tol: float = 1e-3) -> dict[str, verify.Check]:
    checks = verify.compare("eval.json", verify.flatten_json(COMMITTED), verify.flatten_json(reproduced), rel_tol)
    return {c.key: c for c in checks}


def test_flatten_json_joins_nested_keys_and_list_positions():
    assert verify.flatten_json({"a": {"b": 1, "c": [2, {"d": 3}]}, "e": None}) == {
        "a.b": 1,
        "a.c.0": 2,
        "a.c.1.d": 3,
        "e": None,
    }


def test_flatten_csv_names_rows_by_a_unique_first_column_else_by_number():
    assert verify.flatten_csv("fold,mae\n1,30.5\n2,31.0\n") == {
        "1.fold": "1",
        "1.mae": "30.5",
        "2.fold": "2",
        "2.mae": "31.0",
    }
    assert verify.flatten_csv("model,mae\nlin,1\nlin,2\n") == {
        "1.model": "lin",
        "1.mae": "1",
        "2.model": "lin",
        "2.mae": "2",
    }


def test_equal_trees_pass_exactly():
    checks = checks_for(json.loads(json.dumps(COMMITTED)))
    assert {c.status for c in checks.values()} == {"exact"}
    assert all(c.passed for c in checks.values())


def test_a_difference_within_the_tolerance_passes_and_is_marked():
    checks = checks_for({**COMMITTED, "test": {"mae": 37.460667 * (1 + 4e-4), "n_weeks": 52}})
    assert checks["test.mae"].status == "within" and checks["test.mae"].passed
    assert checks["test.mae"].relative_difference == pytest.approx(4e-4, rel=1e-3)


def test_a_difference_beyond_the_tolerance_fails():
    checks = checks_for({**COMMITTED, "test": {"mae": 37.5, "n_weeks": 52}})
    assert checks["test.mae"].status == "beyond" and not checks["test.mae"].passed


def test_exact_mode_fails_any_difference():
    checks = checks_for({**COMMITTED, "test": {"mae": 37.460668, "n_weeks": 52}}, rel_tol=0.0)
    assert checks["test.mae"].status == "beyond"


def test_values_near_zero_pass_within_the_absolute_tolerance_not_the_relative_one():
    assert verify.compare_value(5.368945, 5.369006, rel_tol=1e-5, abs_tol=1e-3) == "within"  # an error of a forecast
    assert verify.compare_value(5.368945, 5.369006, rel_tol=1e-5) == "beyond"
    assert verify.compare_value(-5.8e-05, -5.0e-05, rel_tol=1e-3, abs_tol=1e-6) == "beyond"


def test_a_missing_key_fails():
    checks = checks_for({"test": {"mae": 37.460667, "n_weeks": 52}, "model": "keras"})
    assert checks["skill_vs_best_baseline"].status == "missing" and not checks["skill_vs_best_baseline"].passed


def test_a_new_key_fails():
    checks = checks_for({**COMMITTED, "expected_mae_ratio": {"keras": 1.01}})
    assert checks["expected_mae_ratio.keras"].status == "new" and not checks["expected_mae_ratio.keras"].passed


def test_text_compares_as_text_and_numbers_written_differently_are_equal():
    assert verify.compare_value("keras", "gbm", rel_tol=0.5) == "beyond"
    assert verify.compare_value("52", 52, rel_tol=0.0) == "exact"
    assert verify.compare_value("True", "False", rel_tol=0.5) == "beyond"
    assert verify.compare_value("", "", rel_tol=0.0) == "exact"


def test_compare_files_fails_a_missing_or_new_file_and_checks_csv_cells():
    committed = {
        "metrics/eval.json": json.dumps(COMMITTED),
        "metrics/backtest.csv": "fold,mae\n1,30.0\n",
        "metrics/old.json": "{}",
    }
    reproduced = {
        "metrics/eval.json": json.dumps(COMMITTED),
        "metrics/backtest.csv": "fold,mae\n1,30.01\n",
        "metrics/study.json": "{}",
    }
    by = {(c.file, c.key): c.status for c in verify.compare_files(committed, reproduced, rel_tol=1e-3)}
    assert by[("metrics/backtest.csv", "1.mae")] == "within"
    assert by[("metrics/old.json", "(file)")] == "missing"
    assert by[("metrics/study.json", "(file)")] == "new"


def test_compare_files_passes_the_absolute_tolerance_on():
    checks = verify.compare_files({"m.csv": "week,error\nw1,0.5\n"}, {"m.csv": "week,error\nw1,0.5006\n"}, 1e-4, 1e-3)
    assert [c.status for c in checks] == ["exact", "within"]


def test_table_prints_pass_and_fail_per_key_and_a_verdict_per_file():
    checks = verify.compare_files({"m/a.json": '{"x": 1.0, "y": 2.0}'}, {"m/a.json": '{"x": 1.0, "y": 3.0}'}, 1e-3)
    text = verify.table(checks)
    assert "m/a.json  x    1.0" in text and "PASS" in text
    assert "y    2.0        3.0" in text and "FAIL" in text
    assert "FAIL  m/a.json: 2 values, 1 exact, 0 within tolerance, 1 failed" in text
    assert text.rstrip().endswith("FAIL  all metrics: 2 values, 1 exact, 0 within tolerance, 1 failed")
    assert "x    1.0" not in verify.table(checks, only_failures=True)


def test_flatten_refuses_a_file_that_is_not_a_metric():
    with pytest.raises(ValueError, match=r"notes\.txt: not a metric file"):
        verify.flatten("notes.txt", "hello")


def test_worst_is_the_largest_relative_difference():
    checks = verify.compare("f.json", {"a": 100.0, "b": 1.0}, {"a": 100.01, "b": 1.0}, 1e-3)
    assert verify.worst(checks) == pytest.approx(1e-4, rel=1e-3)
