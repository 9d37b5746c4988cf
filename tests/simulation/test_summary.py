"""The study's summary across worlds: the statistics on numbers worked by hand, the report that states
them, and the summary stage over block files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hhforecast.core import io, paths
from hhforecast.simulation import output, statistics
from tests.helpers import project_copy, run_stage

# --- on numbers worked by hand -----------------------------------------------------


def test_mean_interval_is_the_t_interval():
    mean, low, high = statistics.mean_interval([1.0, 2.0, 3.0, 4.0])
    # sd 1.2910, sem 0.6455, t(0.975, 3) = 3.1824: 2.5 -+ 2.0543
    assert (mean, low, high) == pytest.approx((2.5, 0.44574, 4.55426), abs=1e-4)
    assert statistics.mean_interval([0.3, 0.3, 0.3]) == (0.3, 0.3, 0.3)


def test_holm_multiplies_the_sorted_p_values_and_keeps_them_monotone():
    # sorted 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> raised to 0.06
    assert statistics.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_paired_p_value_is_the_one_sample_t_test():
    # mean 0.2, sd 0.08165, sem 0.04082, t = 4.899; two-sided p with 3 df = 0.01628
    assert statistics.paired_p_value([0.1, 0.2, 0.3, 0.2]) == pytest.approx(0.01628, abs=1e-4)
    assert statistics.paired_p_value([0.0, 0.0]) == 1.0


@pytest.mark.parametrize(
    "low, high, p_holm, word",
    [
        (-0.1, 0.2, 0.5, "tie"),
        (-0.3, -0.1, 0.01, "network better"),
        (0.05, 0.2, 0.01, "network worse"),
        (0.0, 0.1, 0.2, "tie"),
        (-2.2, -0.6, 0.09, "tie"),  # the interval excludes 0, but not after Holm's correction for the family's tests
    ],
)
def test_an_interval_holding_zero_or_a_holm_p_above_alpha_is_a_tie(low, high, p_holm, word):
    assert statistics.comparison_word(low, high, p_holm) == word


def world_json(
    family: str,
    world: int,
    network: float,
    linear: float,
    twin_fired: int | None,
    drifted_fired: int | None,
    delay: int | None,
    reasons: tuple[str, ...] = (),
    production_ratio: float = 1.0,
    oracle_fired: int | None = None,
) -> dict:
    return {
        "family": family,
        "world": world,
        "seeds": {},
        "oracle_expected_mae": 40.0,
        "oracle_coverage_80": 0.81,
        "models": {
            "network": {"expected_mae": 40 * network, "ratio": network, "coverage_80": 0.7 + network / 10},
            "linear": {"expected_mae": 40 * linear, "ratio": linear, "coverage_80": None},
        },
        "monitor": {
            "drift_free_retrain_week": twin_fired,
            "drift_free_reasons": list(reasons),
            "drift_free_production_ratio": production_ratio,
            "oracle_alarm_week": oracle_fired,
            "drifted_retrain_week": drifted_fired,
            "detection_delay_weeks": delay,
        },
    }


HAND_MADE = [
    world_json("a", 1, 1.00, 1.10, None, 3, 3, production_ratio=1.30),
    world_json("a", 2, 1.02, 1.10, 8, None, None, ("errors", "feature"), 1.50, oracle_fired=20),
    world_json("a", 3, 1.04, 1.16, None, 5, 5, production_ratio=1.40),
    world_json("b", 1, 1.0, 1.0, None, None, None),
    world_json("b", 2, 1.1, 1.0, None, None, None),
]


def test_the_summary_gives_each_familys_ratios_differences_and_monitoring_rates():
    summary = statistics.summarize(HAND_MADE, ["a", "b"])
    a = summary["scenarios"]["a"]
    assert a["worlds"] == 3
    assert a["models"]["network"]["ratio_mean"] == pytest.approx(1.02)
    assert a["models"]["network"]["coverage_80_mean"] == pytest.approx(0.802)
    assert a["models"]["linear"]["coverage_80_mean"] is None and a["oracle_coverage_80_mean"] == pytest.approx(0.81)
    vs = a["vs_network"]["linear"]
    assert vs["diff_mean"] == pytest.approx(-0.10)  # diffs -0.10, -0.08, -0.12
    assert vs["ci_low"] < vs["diff_mean"] < vs["ci_high"] < 0 and vs["verdict"] == "network better"
    # One Holm family over both study families' network-vs-baseline comparisons: a's p and b's p.
    p_a = statistics.paired_p_value([-0.10, -0.08, -0.12])
    p_b = statistics.paired_p_value([0.0, 0.1])
    holm_a = min(1.0, 2 * p_a) if p_a <= p_b else max(min(1.0, 2 * p_b), p_a)
    assert vs["holm_size"] == 2 and vs["p_holm"] == pytest.approx(holm_a)
    assert a["monitor"] == {
        "false_alarm_rate": pytest.approx(1 / 3),
        "detection_rate": pytest.approx(2 / 3),
        "detection_delay_weeks": 4.0,
        "false_alarm_reasons": {"errors": pytest.approx(1 / 3), "feature": pytest.approx(1 / 3)},
        "noise_false_alarm_rate": pytest.approx(1 / 3),
        "drift_free_production_ratio_mean": pytest.approx(1.40),
        "drift_free_production_ratio_ci": [
            pytest.approx(1.40 - 0.2484, abs=1e-3),
            pytest.approx(1.40 + 0.2484, abs=1e-3),
        ],
        "detectors": {},  # these worlds measured no error detector
    }
    b = summary["scenarios"]["b"]
    assert b["vs_network"]["linear"]["verdict"] == "tie" and b["monitor"]["detection_delay_weeks"] is None


def test_the_report_states_the_numbers_it_is_given():
    summary = statistics.summarize(HAND_MADE, ["a", "b"])
    text = output.markdown(summary)
    # Mean [t interval], median [IQR], coverage, and the network row's empty comparison cells (one per column).
    assert "| a | 3 | network | 1.020 [0.970, 1.070] | 1.020 [1.010, 1.030] | 0.80 | | | | | |" in text
    assert "| a | 3 | linear regression | 1.120 [" in text
    assert "covers 80% of the weeks in expectation (the oracle's own 10–90 % range: 81%)" in text
    assert "beats linear regression by 0.100" in text
    # family b: a tie still says its interval and Holm p-value
    assert re.search(
        r"shows no difference from linear regression \(\+0\.050, interval \[-0\.\d+, \+0\.\d+\], Holm p 0\.\d+\)", text
    )
    header = next(line for line in text.splitlines() if line.startswith("| family | worlds | model |"))
    network_row = next(line for line in text.splitlines() if line.startswith("| a | 3 | network |"))
    assert header.count("|") == network_row.count("|") == 12
    assert "| a | 3 | 0.33 | errors 0.33, feature 0.33 | 0.33 | 1.400 [1.152, 1.648] | 0.67 | 4.0 |" in text
    assert "| b | 2 | 0.00 | — | 0.00 | 1.000 [1.000, 1.000] | 0.00 | — |" in text
    assert "it decayed without any planted drift" in text  # family a: 1.40's interval lies above 1.02's
    assert output.figure(summary).axes[0].get_ylabel().startswith("expected MAE")


def test_a_summary_without_worlds_for_a_family_names_it():
    with pytest.raises(ValueError, match="no world results for family 'c'"):
        statistics.summarize(HAND_MADE, ["a", "c"])


def test_the_summary_stage_writes_the_summary_report_and_figure_from_the_block_files(tmp_path):
    worlds = HAND_MADE[:3] + [world_json("b", 3, 1.05, 1.0, None, 2, 2)] + HAND_MADE[3:]
    work = project_copy(
        tmp_path, Path("data/synthetic/raw"), study={"families": {"a": {}, "b": {}}, "blocks": [1], "block_size": 3}
    )
    for family in ("a", "b"):
        path = work / paths.study_block(family, 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps({"family": family, "worlds": [w for w in worlds if w["family"] == family]}), encoding="utf-8"
        )
    done = run_stage(work, "study_summary")
    assert done.returncode == 0, done.stderr
    assert "6 worlds in 2 families" in done.stderr
    summary = json.loads((work / paths.STUDY).read_text())
    assert summary == json.loads(json.dumps(io.rounded(statistics.summarize(worlds, ["a", "b"]))))
    assert summary["scenarios"]["b"]["worlds"] == 3
    assert (work / paths.STUDY_REPORT).read_text().startswith("# Simulation study")
    assert (work / paths.STUDY_FIGURE).read_bytes()[:4] == b"\x89PNG"


def test_the_summary_stage_names_a_missing_block_file(tmp_path):
    work = project_copy(
        tmp_path, Path("data/synthetic/raw"), study={"families": {"a": {}}, "blocks": [1, 3], "block_size": 2}
    )
    done = run_stage(work, "study_summary")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert re.search(
        r"2 block\(s\) of worlds: metrics/study/a_1\.json, metrics/study/a_3\.json.*make study", done.stderr
    )


def detectors(network_twin, oracle_twin, plus_15, plus_30):
    """One world's first alarm weeks per detector ({"rank": ..., "cusum": ...} each), as worlds.detector_study writes."""
    return {
        "network_drift_free": network_twin,
        "oracle_drift_free": oracle_twin,
        "rate_1.15": plus_15,
        "rate_1.3": plus_30,
    }


def test_the_detectors_power_and_false_alarms_are_counted_per_detector():
    calm, found = {"rank": None, "cusum": None}, {"rank": 9, "cusum": 4}
    worlds = [
        detectors(calm, calm, {"rank": None, "cusum": 20}, found),
        detectors({"rank": 30, "cusum": None}, calm, {"rank": 12, "cusum": 6}, {"rank": 8, "cusum": 2}),
        detectors(calm, {"rank": None, "cusum": 40}, {"rank": None, "cusum": None}, {"rank": 14, "cusum": 3}),
        detectors(calm, calm, {"rank": None, "cusum": 10}, found),
    ]
    summary = statistics.detector_summary(worlds)
    assert summary["rank"]["false_alarm_network"] == 0.25 and summary["rank"]["false_alarm_oracle"] == 0.0
    assert summary["cusum"]["false_alarm_oracle"] == 0.25
    assert summary["rank"]["rate_1.3"] == {
        "detected_within_quarter": 0.75,  # 9, 8, 14, 9: week 14 is past the quarter
        "detected": 1.0,
        "delay_median": 9.0,
        "delay_p90": pytest.approx(12.5),
    }
    assert summary["cusum"]["rate_1.15"]["detected"] == 0.75 and summary["cusum"]["rate_1.15"]["delay_median"] == 10.0
    assert summary["rank"]["rate_1.15"]["detected_within_quarter"] == 0.25
    assert statistics.detector_summary([{}, {}]) == {}
    with pytest.raises(ValueError, match=r"1 of 2 worlds carry no error-detector results: re-run their blocks"):
        statistics.detector_summary([worlds[0], {}])
    table = "\n".join(
        output.detector_table(
            {
                "scenarios": {
                    "baseline": {"worlds": 4, "monitor": {"detectors": summary}},
                    "b": {"monitor": {}},
                    "other": {
                        "worlds": 20,
                        "monitor": {"detectors": {"rank": {"false_alarm_network": 0.05, "false_alarm_oracle": 0.0}}},
                    },
                }
            }
        )
    )
    # each rate over 4 worlds with its exact (Clopper-Pearson) 95 % interval
    assert (
        "| baseline | rank | 0.25 [0.01, 0.81] | 0.00 [0.00, 0.60] | 0.25 [0.01, 0.81] | 12.0 | 12.0 | "
        "0.75 [0.19, 0.99] | 9.0 | 12.5 |"
    ) in table
    # pooled over the families by counts (1 of 4 and 1 of 20 worlds: 2 of 24), not by averaging their rates
    assert "| rank | 24 | 0.08 [0.01, 0.27] | 0.00 [0.00, 0.14] |" in table
    assert "rate +15 %: within 13 weeks | median delay | 90th pct. delay" in table
