import json

import pytest

from hhforecast.evaluation import results
from tests.helpers import REPO

EXAMPLE = json.loads((REPO / "tests" / "data" / "eval_example.json").read_text())


def with_dm(**dm):
    evaluation = json.loads(json.dumps(EXAMPLE))
    evaluation["backtest"]["dm"] = {
        name: {"mae_diff": d, "ci_low": lo, "ci_high": hi, "p_value": p} for name, (d, lo, hi, p) in dm.items()
    }
    return evaluation


@pytest.mark.parametrize(
    "dm, verdict",
    [
        ((-2.0, -3.0, -1.0, 0.001), "better"),
        ((-2.0, -4.0, 0.5, 0.12), "tie"),
        ((1.0, -0.5, 2.5, 0.2), "tie"),
        ((2.0, 1.0, 3.0, 0.001), "worse"),
    ],
)
def test_the_table_calls_a_difference_inside_its_interval_a_tie(dm, verdict):
    header, rows = results.model_table(with_dm(linear=dm))
    linear = next(row for row in rows if row[0] == results.LABELS["linear"])
    assert linear[-1] == verdict and linear[header.index("DM p (HLN)")] == f"{dm[3]:.3f}"


def test_the_table_takes_the_holm_aware_verdict_the_backtest_recorded():
    evaluation = with_dm(linear=(-2.0, -3.0, -1.0, 0.02))
    evaluation["backtest"]["dm"]["linear"].update(p_holm=0.12, verdict="tie")
    header, rows = results.model_table(evaluation)
    linear = next(row for row in rows if row[0] == results.LABELS["linear"])
    assert (linear[header.index("p (Holm)")], linear[-1]) == ("0.120", "tie")


def test_sentences_are_generated_from_the_numbers():
    evaluation = with_dm(linear=(0.35, -3.09, 3.8, 0.84), gbm=(-4.8, -9.3, -0.4, 0.03), glm=(2.5, 0.5, 4.5, 0.01))
    text = " ".join(results.sentences(evaluation))
    assert "the network is better than gradient boosting" in text
    assert "it shows no difference from linear regression (the paired difference's 95 % interval holds 0" in text
    assert "it is worse than Poisson GLM" in text
    assert f"{EXAMPLE['expected_mae_ratio']['network']:.3f}× the median oracle's" in text
    assert f"even the oracle scores R² {EXAMPLE['oracle']['r2']:.2f}" in text


def test_real_data_results_have_no_oracle_rows_or_sentences():
    evaluation = {
        k: v
        for k, v in EXAMPLE.items()
        if k not in ("oracle", "expected_mae_ratio", "expected_intervals", "mae_ratio_to_oracle")
    }
    markdown = results.markdown(evaluation)
    assert "oracle" not in markdown.split("### Prediction ranges")[1].split("- ")[0]
    assert "median oracle's" not in markdown and "expected" not in markdown.split("- ")[0]
    assert results.sentences(evaluation)[0] == results.NO_TRUTH  # said once, where the sections would be
    assert results.NO_TRUTH not in results.markdown(EXAMPLE)


def test_the_committed_results_are_what_the_committed_metrics_give():
    """reports/results.md (copied into the docs by docnumbers) is the results stage's output for metrics/eval.json."""
    committed = json.loads((REPO / "metrics" / "eval.json").read_text(encoding="utf-8"))
    assert (REPO / "reports" / "results.md").read_text(encoding="utf-8") == results.markdown(committed)
