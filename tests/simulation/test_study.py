"""The simulation study: worlds and their seeds, the statistics per family, the report, and runs
(a smoke run over two families and two worlds, the same numbers on a Dask cluster, and the
in-memory dataset against the one the pipeline builds from the exported files)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hhforecast import synth
from hhforecast.core import config, io, paths
from hhforecast.core.errors import ConfigError
from hhforecast.dataprep import weekly_dataset
from hhforecast.forecasting import forecasters
from hhforecast.simulation import study
from tests.helpers import REPO, SMALL_DRIFT, SMALL_WORLD, project_copy, run_stage, small_world


def with_study(params: config.Params, **update) -> config.Params:
    return params.model_copy(update={"study": params.study.model_copy(update=update)})


# --- worlds ------------------------------------------------------------------------------


def test_every_family_of_params_yaml_is_a_valid_world(params):
    assert list(params.study.families) == ["baseline", "young_fleet", "shock", "small_fleet", "interaction"]
    specs = study.all_specs(params)
    assert len(specs) == 5 * len(params.study.worlds)
    for spec in specs[:: len(params.study.worlds)]:
        synth.world._check(spec.synthetic)


def test_blocks_number_their_worlds_consecutively(params):
    settings = with_study(params, blocks=[1, 6, 21], block_size=5).study
    assert settings.block(21) == [21, 22, 23, 24, 25]
    assert settings.worlds == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 21, 22, 23, 24, 25]


def test_world_seeds_follow_the_world_number(params):
    one, two = study.world_spec(params, "baseline", 1), study.world_spec(params, "baseline", 2)
    assert one.synthetic.seed == params.synthetic.seed + 1 and two.synthetic.seed == params.synthetic.seed + 2
    assert two.train.seed - one.train.seed == study.NETWORK_SEED_STEP >= params.train.ensemble
    assert (one.gbm_seed, two.gbm_seed) == (params.evaluate.gbm_seed + 1, params.evaluate.gbm_seed + 2)
    assert study.world_spec(params, "shock", 2).synthetic.seed == two.synthetic.seed  # families are paired by world


def test_family_overrides_merge_into_nested_keys(params):
    small = study.world_spec(params, "small_fleet", 1).synthetic
    assert small.drift.used_aircraft == 2
    assert small.drift.rate_multiplier == params.synthetic.drift.rate_multiplier
    assert small.fleet_end == 8 and small.rate_fh == params.synthetic.rate_fh
    assert study.world_spec(params, "interaction", 1).synthetic.interaction > 0
    assert study.world_spec(params, "baseline", 1).synthetic.interaction == 0


def test_study_budget_params_replace_the_networks_ensemble_and_epochs_only(params):
    spec = study.world_spec(with_study(params, ensemble=1, epochs=7), "baseline", 1)
    assert (spec.train.ensemble, spec.train.epochs) == (1, 7)
    assert spec.train.units == params.train.units and spec.train.patience == params.train.patience


def test_the_drift_free_twin_keeps_the_seeds_and_loses_the_drift(params):
    spec = study.world_spec(params, "baseline", 3)
    twin = study.drift_free(spec.synthetic)
    assert twin.seed == spec.synthetic.seed and twin.drift.weeks == spec.synthetic.drift.weeks
    assert (twin.drift.used_aircraft, twin.drift.rate_multiplier) == (0, 1.0)


def _params_file(tmp_path: Path, **study_update) -> Path:
    values = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    values["study"].update(study_update)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(values, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "update, message",
    [
        ({"families": {"odd": {"fleet_start": 0}}}, r"study\.families\.odd\.fleet_start"),
        ({"families": {"odd": {"drift": {"rate_multiplier": -1}}}}, r"study\.families\.odd\.drift\.rate_multiplier"),
        ({"families": {"odd": {"no_such_key": 1}}}, r"study\.families\.odd\.no_such_key"),
        ({"families": {"Bad Name": {}}}, r"study\.families.*lowercase"),
        ({"blocks": [1, 3]}, r"study.*blocks must start at numbers >= 1 at least block_size \(5\) apart.*\[1, 3\]"),
        ({"blocks": [0]}, r"study.*blocks must start at numbers >= 1"),
        ({"blocks": [1], "block_size": 1}, r"study.*at least 2 worlds"),
        ({"backend": "dask"}, r"study.*scheduler"),
    ],
)
def test_a_bad_study_section_names_the_key(tmp_path, update, message):
    with pytest.raises(ConfigError, match=message):
        config.load(_params_file(tmp_path, **update))


def test_an_unknown_family_is_named_with_the_known_ones(params):
    with pytest.raises(ConfigError, match=r"no family 'nope' \(families: baseline, young_fleet"):
        study.world_spec(params, "nope", 1)


# --- statistics, on numbers worked by hand -----------------------------------------------------


def test_mean_interval_is_the_t_interval():
    mean, low, high = study.mean_interval([1.0, 2.0, 3.0, 4.0])
    # sd 1.2910, sem 0.6455, t(0.975, 3) = 3.1824: 2.5 -+ 2.0543
    assert (mean, low, high) == pytest.approx((2.5, 0.44574, 4.55426), abs=1e-4)
    assert study.mean_interval([0.3, 0.3, 0.3]) == (0.3, 0.3, 0.3)


def test_holm_multiplies_the_sorted_p_values_and_keeps_them_monotone():
    # sorted 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> raised to 0.06
    assert study.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_paired_p_value_is_the_one_sample_t_test():
    # mean 0.2, sd 0.08165, sem 0.04082, t = 4.899; two-sided p with 3 df = 0.01628
    assert study.paired_p_value([0.1, 0.2, 0.3, 0.2]) == pytest.approx(0.01628, abs=1e-4)
    assert study.paired_p_value([0.0, 0.0]) == 1.0


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
    assert study.comparison_word(low, high, p_holm) == word


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


def test_aggregate_gives_each_familys_ratios_differences_and_monitoring_rates():
    summary = study.aggregate(HAND_MADE, ["a", "b"])
    a = summary["scenarios"]["a"]
    assert a["worlds"] == 3
    assert a["models"]["network"]["ratio_mean"] == pytest.approx(1.02)
    assert a["models"]["network"]["coverage_80_mean"] == pytest.approx(0.802)
    assert a["models"]["linear"]["coverage_80_mean"] is None and a["oracle_coverage_80_mean"] == pytest.approx(0.81)
    vs = a["vs_network"]["linear"]
    assert vs["diff_mean"] == pytest.approx(-0.10)  # diffs -0.10, -0.08, -0.12
    assert vs["ci_low"] < vs["diff_mean"] < vs["ci_high"] < 0 and vs["verdict"] == "network better"
    assert vs["p_holm"] == pytest.approx(study.paired_p_value([-0.10, -0.08, -0.12]))
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
    }
    b = summary["scenarios"]["b"]
    assert b["vs_network"]["linear"]["verdict"] == "tie" and b["monitor"]["detection_delay_weeks"] is None


def test_the_report_states_the_numbers_it_is_given():
    summary = study.aggregate(HAND_MADE, ["a", "b"])
    text = study.markdown(summary)
    assert (
        "| a | 3 | network | 1.020 | [0.970, 1.070] | 0.80 |" in text
        and "| a | 3 | linear regression | 1.120 |" in text
    )
    assert "covers 80% of the weeks in expectation (the oracle's own 10–90 % range: 81%)" in text
    assert "beats linear regression by 0.100" in text
    # family b: a tie still says its interval and Holm p-value
    assert re.search(r"ties with linear regression \(\+0\.050, interval \[-0\.\d+, \+0\.\d+\], Holm p 0\.\d+\)", text)
    assert "| a | 3 | 0.33 | errors 0.33, feature 0.33 | 0.33 | 1.400 [1.152, 1.648] | 0.67 | 4.0 |" in text
    assert "| b | 2 | 0.00 | — | 0.00 | 1.000 [1.000, 1.000] | 0.00 | — |" in text
    assert "it decayed without any planted drift" in text  # family a: 1.40's interval lies above 1.02's
    assert study.figure(summary).axes[0].get_ylabel().startswith("expected MAE")


def test_aggregate_without_worlds_for_a_family_names_it():
    with pytest.raises(ValueError, match="no world results for family 'c'"):
        study.aggregate(HAND_MADE, ["a", "c"])


# --- runs ---------------------------------------------------------------------------------


def test_weekly_frames_are_the_truth_in_the_datasets_form(params):
    small = params.synthetic.model_copy(
        update={**SMALL_WORLD, "drift": params.synthetic.drift.model_copy(update=SMALL_DRIFT)}
    )
    world = synth.build_world(small)
    dataset, truth = study.weekly_frames(world)
    assert list(dataset.columns) == weekly_dataset.DATASET_COLUMNS
    assert weekly_dataset.validate(dataset, weekly_dataset.WEEKLY_SCHEMA).empty
    assert dataset["HH"].tolist() == world.truth["HH"].tolist()
    counts = study.weekly_rows(world)
    assert counts["utilization_rows"].sum() == len(world.utilization)


@pytest.mark.slow
def test_the_in_memory_dataset_equals_what_the_pipeline_builds_from_the_files(params, tmp_path):
    work = project_copy(tmp_path, Path("data/synthetic/raw"), synthetic=small_world(params, interaction=0.1))
    for stage in ("generate", "ingest", "clean", "aggregate", "join"):
        result = run_stage(work, stage)
        assert result.returncode == 0, f"{stage}: {result.stderr}"
    built = pd.read_csv(work / paths.WEEKLY_DATASET)
    in_memory, _ = study.weekly_frames(synth.build_world(config.load(work / "params.yaml").synthetic))
    expected = weekly_dataset.to_csv_frame(in_memory)
    assert built["date"].tolist() == expected["date"].tolist()
    for column in weekly_dataset.DATASET_COLUMNS[1:]:
        assert np.abs(built[column].to_numpy(float) - expected[column].to_numpy(float)).max() <= 1e-6, column


def tiny_study(params: config.Params) -> config.Params:
    """One network of 3 epochs per fit, on worlds of 4-8 aircraft from 2019 (the same split, a third of the weeks
    and a fifth of the events): the whole per-world path, at a price the test suite can pay."""
    synthetic = {
        **params.synthetic.model_dump(),
        "start": dt.date(2019, 1, 7),
        "weeks": 314,
        "fleet_start": 4,
        "fleet_end": 8,
        "retirements": 1,
        "drift": {**params.synthetic.drift.model_dump(), "used_aircraft": 2},
    }
    return with_study(
        params.model_copy(update={"synthetic": config.SyntheticParams.model_validate(synthetic)}), ensemble=1, epochs=3
    )


@pytest.fixture(scope="module")
def smoke(params) -> tuple[config.Params, list[dict]]:
    """Two families x two worlds, one tiny network each: the whole per-world path on loky."""
    tiny = tiny_study(params)
    specs = [study.world_spec(tiny, family, world) for family in ("baseline", "interaction") for world in (1, 2)]
    return tiny, study.run_worlds(specs, tiny.split, tiny.monitor, backend="loky", n_jobs=2)


@pytest.mark.slow
def test_a_smoke_run_scores_every_model_and_aggregates(smoke):
    _, results = smoke
    for result in results:
        assert list(result["models"]) == ["network", *forecasters.BASELINES]
        for scores in result["models"].values():
            assert scores["ratio"] >= 0.999  # nothing beats the median oracle in expectation
        assert 0 <= result["models"]["network"]["coverage_80"] <= 1
    summary = study.aggregate(results, ["baseline", "interaction"])
    assert summary["scenarios"]["interaction"]["worlds"] == 2
    assert "## The retraining verdict, measured" in study.markdown(summary)


@pytest.mark.slow
def test_two_worlds_on_a_dask_cluster_give_the_same_numbers_as_loky(smoke):
    import dask
    from dask.distributed import LocalCluster

    tiny, results = smoke
    specs = [study.world_spec(tiny, "baseline", world) for world in (1, 2)]
    with (
        dask.config.set({"distributed.worker.daemon": False}),
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
    ):
        on_dask = study.run_worlds(
            specs, tiny.split, tiny.monitor, backend="dask", scheduler=cluster.scheduler_address, n_jobs=2
        )
    assert on_dask == results[:2]


def test_the_aggregate_stage_writes_the_summary_report_and_figure_from_the_block_files(tmp_path):
    import json

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
    done = run_stage(work, "study_aggregate")
    assert done.returncode == 0, done.stderr
    assert "6 worlds in 2 families" in done.stderr
    summary = json.loads((work / paths.STUDY).read_text())
    assert summary == json.loads(json.dumps(io.rounded(study.aggregate(worlds, ["a", "b"]))))
    assert summary["scenarios"]["b"]["worlds"] == 3
    assert (work / paths.STUDY_REPORT).read_text().startswith("# Simulation study")
    assert (work / paths.STUDY_FIGURE).read_bytes()[:4] == b"\x89PNG"


def test_the_aggregate_stage_names_a_missing_block_file(tmp_path):
    work = project_copy(
        tmp_path, Path("data/synthetic/raw"), study={"families": {"a": {}}, "blocks": [1, 3], "block_size": 2}
    )
    done = run_stage(work, "study_aggregate")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert re.search(
        r"2 block\(s\) of worlds: metrics/study/a_1\.json, metrics/study/a_3\.json.*make study", done.stderr
    )


def test_a_block_stage_refuses_a_block_params_yaml_does_not_have(tmp_path):
    work = project_copy(tmp_path, Path("data/synthetic/raw"))
    done = subprocess.run(
        [sys.executable, str(REPO / "stages" / "study_block.py"), "baseline", "2"],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "study.blocks: no block starts at world 2 (blocks: [1, 6, 11, 16])" in done.stderr
    assert not (work / paths.study_block("baseline", 2)).exists()
