"""The study's testing policy: TOST equivalence at ± EQUIVALENCE_MARGIN, the Wilcoxon check, and one Holm family
per question (baselines; architecture) across every study family, on numbers worked by hand."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from hhforecast.simulation import statistics

NEAR_ZERO = [0.001, -0.002, 0.003, -0.001, 0.0, 0.002, -0.003, 0.001]
NEAR_FIVE_PERCENT = [0.05, 0.052, 0.048, 0.051, 0.049, 0.05]


def test_the_margin_is_two_percent_of_the_oracle_mae():
    assert statistics.EQUIVALENCE_MARGIN == 0.02 and statistics.ALPHA == 0.05


def tost_by_hand(diffs: list[float], margin: float) -> float:
    """The larger of the two one-sided t tests' p-values: mean > −margin and mean < +margin."""
    x = np.asarray(diffs)
    n, mean, sem = len(x), x.mean(), x.std(ddof=1) / np.sqrt(len(x))
    return max(stats.t.sf((mean + margin) / sem, n - 1), stats.t.cdf((mean - margin) / sem, n - 1))


@pytest.mark.parametrize(
    "diffs, margin, check",
    [
        (NEAR_ZERO, None, lambda p: p < 0.05),  # well inside ± 0.02
        (NEAR_FIVE_PERCENT, None, lambda p: p > 0.5),  # well outside
        ([0.015 + d / 3 for d in NEAR_ZERO], None, lambda p: p < 0.05),
        ([0.015 + d / 3 for d in NEAR_ZERO], 0.01, lambda p: p > 0.5),  # the same gap, a tighter margin
        ([0.05, -0.05, 0.04, -0.04, 0.0], None, lambda p: p > 0.05),  # noise shows nothing
    ],
    ids=["inside", "outside", "inside-near-the-edge", "tighter-margin", "noisy"],
)
def test_tost_is_the_larger_one_sided_p_value(diffs, margin, check):
    """margin None: the default, EQUIVALENCE_MARGIN."""
    p = statistics.tost_p_value(diffs) if margin is None else statistics.tost_p_value(diffs, margin)
    assert p == pytest.approx(tost_by_hand(diffs, margin or statistics.EQUIVALENCE_MARGIN), rel=1e-6)
    assert check(p)


@pytest.mark.parametrize(
    "diffs, p", [([0.01, 0.01, 0.01], 0.0), ([0.03, 0.03], 1.0), ([-0.02, -0.02], 1.0), ([-0.019], 1.0), ([0.0], 1.0)]
)
def test_tost_of_a_sample_without_spread_compares_its_mean_with_the_margin_and_one_world_shows_nothing(diffs, p):
    assert statistics.tost_p_value(diffs) == p


@pytest.mark.parametrize(
    "diffs, p",
    [
        ([0.0, 0.0, 0.0, 0.0], 1.0),  # every difference 0
        ([0.3], 1.0),  # one world: nothing to test
        ([1.0, 2.0, 3.0, 4.0, 5.0], 2 / 32),  # exact: all five signs positive, two-sided
        ([-1.0, -2.0, -3.0, -4.0, -5.0, -6.0], 2 / 64),
    ],
)
def test_wilcoxon_by_hand(diffs, p):
    assert statistics.wilcoxon_p_value(diffs) == pytest.approx(p, rel=1e-9)


@pytest.mark.parametrize(
    "name, asked",
    [
        ("network_mlp", "architecture"),
        ("network_hybrid", "architecture"),
        ("linear", "baselines"),
        ("gbm", "baselines"),
    ],
)
def test_each_comparison_belongs_to_one_question(name, asked):
    assert statistics.question(name) == asked


def comparison(p_value: float, tost_p: float, ci_low: float, ci_high: float) -> dict:
    return {
        "diff_mean": (ci_low + ci_high) / 2,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "p_value": p_value,
        "wilcoxon_p": 0.5,
        "tost_p": tost_p,
        "wins": 0,
    }


# Two study families, each comparing the network with a baseline and with the other architecture.
SCENARIOS = {
    "today": {
        "worlds": 10,
        "vs_network": {
            "linear": comparison(0.01, 0.2, -0.3, -0.1),
            "network_mlp": comparison(0.04, 0.01, -0.01, 0.01),
        },
    },
    "collapse": {
        "worlds": 10,
        "vs_network": {
            "linear": comparison(0.03, 0.03, 0.05, 0.2),
            "network_mlp": comparison(0.03, 0.05, 0.1, 0.3),
        },
    },
}
# (family, model): Holm family, p_holm, verdict, equivalent.
# Baselines: [0.01, 0.03] -> 0.01·2 = 0.02, 0.03·1 = 0.03. Architecture: [0.04, 0.03] -> 0.03·2 = 0.06, and 0.04
# raised to 0.06: both ties, though collapse's interval excludes zero.
EXPECTED = {
    ("today", "linear"): ("baselines", 0.02, "network better", False),
    ("collapse", "linear"): ("baselines", 0.03, "network worse", True),
    ("today", "network_mlp"): ("architecture", 0.06, "tie", True),
    ("collapse", "network_mlp"): ("architecture", 0.06, "tie", False),  # TOST p 0.05 is not below alpha
}


@pytest.fixture(scope="module")
def adjusted() -> dict:
    """SCENARIOS after apply_holm (once: statsmodels' multipletests runs a full garbage collection per call)."""
    scenarios = copy.deepcopy(SCENARIOS)
    statistics.apply_holm(scenarios)
    return scenarios


@pytest.mark.parametrize("family, model", list(EXPECTED))
def test_holm_runs_over_one_question_across_every_family(adjusted, family, model):
    cell = adjusted[family]["vs_network"][model]
    holm_family, p_holm, verdict, equivalent = EXPECTED[family, model]
    assert cell["holm_family"] == holm_family
    assert cell["holm_size"] == 2
    assert cell["p_holm"] == pytest.approx(p_holm)
    assert cell["verdict"] == verdict
    assert cell["equivalent"] is equivalent
    assert cell["equivalent"] is (cell["tost_p"] < statistics.ALPHA)
    assert cell["verdict"] == "tie" or cell["p_holm"] < statistics.ALPHA


@pytest.mark.parametrize("asked, model", [("baselines", "linear"), ("architecture", "network_mlp")])
def test_p_holm_is_statsmodels_holm_over_just_that_question(adjusted, asked, model):
    raw = [SCENARIOS[family]["vs_network"][model]["p_value"] for family in SCENARIOS]
    corrected = [adjusted[family]["vs_network"][model]["p_holm"] for family in SCENARIOS]
    assert corrected == pytest.approx(list(multipletests(raw, method="holm")[1]), rel=1e-12)
    assert {adjusted[family]["vs_network"][model]["holm_family"] for family in SCENARIOS} == {asked}


def test_apply_holm_adds_fields_and_changes_nothing_else(adjusted):
    added = {"holm_family", "holm_size", "p_holm", "verdict", "equivalent"}
    for family, content in SCENARIOS.items():
        assert adjusted[family]["worlds"] == content["worlds"]
        for model, before in content["vs_network"].items():
            after = adjusted[family]["vs_network"][model]
            assert set(after) == set(before) | added
            assert {k: after[k] for k in before} == before


@pytest.mark.parametrize(
    ("rate", "trials", "interval"),
    [(0.15, 20, (0.032, 0.379)), (0.05, 180, (0.023, 0.093)), (0.0, 20, (0.0, 0.168)), (1.0, 20, (0.832, 1.0))],
)
def test_a_rate_over_few_worlds_carries_its_exact_binomial_interval(rate, trials, interval):
    low, high = statistics.rate_interval(rate, trials)
    assert (round(low, 3), round(high, 3)) == interval
