"""The exact weekly distribution: checked against the generator's own draws and against realized weeks."""

from __future__ import annotations

import numpy as np
import pytest

from hhforecast import synth
from hhforecast.synth import truthdist


@pytest.fixture(scope="module")
def law(params) -> np.ndarray:
    return synth.defect_units_pmf(params.synthetic)


@pytest.fixture(scope="module")
def default_world(params) -> synth.World:
    return synth.build_world(params.synthetic)


def test_the_defect_law_is_a_distribution_with_the_generators_mean(law, params):
    assert law.min() >= 0 and law.sum() == pytest.approx(1.0, abs=1e-12)
    assert law[0] == 0  # every defect carries at least one action of one unit
    mean_hours = np.sum(law * np.arange(len(law))) / truthdist.HH_UNITS_PER_HOUR
    assert mean_hours == pytest.approx(synth.expected_hh_per_defect(params.synthetic), rel=1e-12)


@pytest.mark.parametrize("hh_expected", [12.0, 150.0, 420.0])
def test_weekly_mean_equals_the_expected_hh(law, params, hh_expected):
    defects = hh_expected / synth.expected_hh_per_defect(params.synthetic)
    pmf = truthdist.weekly_pmf(np.array([defects]), law)
    assert truthdist.mean(pmf)[0] == pytest.approx(hh_expected, rel=1e-9)
    assert np.array_equal(truthdist.weekly_hh_pmf(np.array([hh_expected]), law), pmf)


@pytest.mark.parametrize(
    "defect_pmf, hours",
    [
        ([0.0, 1.0], [0.0, 0.05]),  # every defect one unit: 3 minutes
        ([0.0, 0.25, 0.0, 0.75], [0.0, 0.05, 0.1, 0.15]),
    ],
)
def test_the_law_table_is_in_hours_and_reads_back_to_the_same_law(defect_pmf, hours):
    table = truthdist.law_table(np.array(defect_pmf))
    assert table["hours"].tolist() == pytest.approx(hours) and table["probability"].tolist() == defect_pmf
    assert truthdist.law_from_table(table).tolist() == defect_pmf


@pytest.mark.parametrize("hh_expected", [20.0, 160.0, 380.0])
def test_quantiles_match_a_monte_carlo_through_the_generators_draws(law, params, hh_expected):
    """P(Y <= q_p) of 20,000 simulated weeks lies within 4 binomial SDs of p for each exact quantile."""
    synthetic = params.synthetic
    rng = np.random.default_rng(11)
    reps = 20_000
    counts = rng.poisson(hh_expected / synth.expected_hh_per_defect(synthetic), size=reps)
    _, units = synth.draw_defect_hh_units(rng, int(counts.sum()), synthetic)
    per_defect = units.sum(axis=1)
    week_of_defect = np.repeat(np.arange(reps), counts)
    simulated = np.bincount(week_of_defect, weights=per_defect, minlength=reps) / truthdist.HH_UNITS_PER_HOUR

    pmf = truthdist.weekly_pmf(np.array([hh_expected / synth.expected_hh_per_defect(synthetic)]), law)
    probs = list(truthdist.QUANTILES.values())
    exact = truthdist.quantiles(pmf, probs)[0]
    for p, q in zip(probs, exact):
        share = np.mean(simulated <= q + 1e-9)
        below = np.mean(simulated < q - 1e-9)
        tolerance = 4 * np.sqrt(p * (1 - p) / reps)
        # q is the smallest value with F(q) >= p: the simulated F straddles p around it.
        assert share >= p - tolerance and below <= p + tolerance, (p, q, below, share)


def test_truth_quantiles_are_calibrated_over_every_week_of_the_default_world(default_world):
    truth = default_world.truth
    n = len(truth)
    realized = truth["HH"]
    for name, (low, high), level in [
        ("median", ("HH_median", "HH_median"), None),
        ("80", truthdist.INTERVAL_QUANTILES["80"], 0.8),
        ("95", truthdist.INTERVAL_QUANTILES["95"], 0.95),
    ]:
        if level is None:
            share, target = float(np.mean(realized < truth[low])), 0.5
        else:
            share, target = float(np.mean((realized >= truth[low]) & (realized <= truth[high]))), level
        # Within 3 binomial SDs; discreteness adds a little mass at the bounds, never much.
        assert abs(share - target) <= 3 * np.sqrt(target * (1 - target) / n) + 0.01, (name, share)


def test_quantiles_are_ordered_and_bracket_the_mean(default_world):
    truth = default_world.truth
    ordered = truth[["HH_q025", "HH_q10", "HH_median", "HH_q90", "HH_q975"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= 0).all()
    assert ((truth["HH_q10"] <= truth["HH_expected"]) & (truth["HH_expected"] <= truth["HH_q90"])).all()


def test_expected_abs_error_of_a_point_mass_is_the_distance():
    pmf = np.zeros((2, 64))
    pmf[0, 40] = 1.0  # 2 hours, surely
    pmf[1, [20, 60]] = 0.5  # 1 or 3 hours
    got = truthdist.expected_abs_error(pmf, np.array([1.5, 2.0]))
    assert got == pytest.approx([0.5, 1.0])


def test_expected_coverage_and_interval_score_by_hand():
    pmf = np.zeros((1, 100))
    pmf[0, [20, 40, 80]] = [0.25, 0.5, 0.25]  # 1, 2 or 4 hours
    lower, upper = np.array([1.5]), np.array([3.0])
    assert truthdist.expected_coverage(pmf, lower, upper) == pytest.approx([0.5])
    # width 1.5 + (2 / 0.2) * (0.25 * 0.5 + 0.25 * 1.0)
    assert truthdist.expected_interval_score(pmf, lower, upper, 0.8) == pytest.approx([1.5 + 10 * 0.375])


def test_the_median_minimizes_expected_abs_error(law):
    pmf = truthdist.weekly_pmf(np.array([40.0]), law)
    median = truthdist.quantiles(pmf, [0.5])[0, 0]
    at_median = truthdist.expected_abs_error(pmf, np.array([median]))[0]
    for shift in (-2.0, -0.05, 0.05, 2.0):
        assert truthdist.expected_abs_error(pmf, np.array([median + shift]))[0] >= at_median - 1e-12


@pytest.mark.parametrize("bad", [np.array([-1.0]), np.array([np.nan])])
def test_impossible_defect_counts_are_refused(law, bad):
    with pytest.raises(ValueError, match="finite and non-negative"):
        truthdist.weekly_pmf(bad, law)
