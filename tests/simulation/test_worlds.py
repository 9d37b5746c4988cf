"""The study's worlds: their seeds and settings, one world's frames and counts against the pipeline's, and runs
(a smoke run over two families and two worlds, and the same numbers on a Dask cluster)."""

from __future__ import annotations

import datetime as dt
import os
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
from hhforecast.ops import monitor
from hhforecast.simulation import output, statistics, worlds
from tests.helpers import REPO, SMALL_DRIFT, SMALL_WORLD, project_copy, run_stage, small_world


def with_study(params: config.Params, **update) -> config.Params:
    return params.model_copy(update={"study": params.study.model_copy(update=update)})


# --- worlds ------------------------------------------------------------------------------


def test_every_family_of_params_yaml_is_a_valid_world(params):
    assert list(params.study.families) == [
        "baseline",
        "young_fleet",
        "shock",
        "small_fleet",
        "interaction_05",
        "interaction_15",
        "interaction_30",
        "interaction_50",
        "aging_bend",
    ]
    specs = worlds.all_specs(params)
    assert len(specs) == len(params.study.families) * len(params.study.worlds)
    for spec in specs[:: len(params.study.worlds)]:
        synth.world._check(spec.synthetic)


def test_blocks_number_their_worlds_consecutively(params):
    settings = with_study(params, blocks=[1, 6, 21], block_size=5).study
    assert settings.block(21) == [21, 22, 23, 24, 25]
    assert settings.worlds == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 21, 22, 23, 24, 25]


def test_world_seeds_follow_the_world_number(params):
    one, two = worlds.world_spec(params, "baseline", 1), worlds.world_spec(params, "baseline", 2)
    assert one.synthetic.seed == params.synthetic.seed + 1 and two.synthetic.seed == params.synthetic.seed + 2
    assert two.train.seed - one.train.seed == worlds.NETWORK_SEED_STEP >= params.train.ensemble
    assert (one.gbm_seed, two.gbm_seed) == (params.evaluate.gbm_seed + 1, params.evaluate.gbm_seed + 2)
    assert worlds.world_spec(params, "shock", 2).synthetic.seed == two.synthetic.seed  # families are paired by world


def test_family_overrides_merge_into_nested_keys(params):
    small = worlds.world_spec(params, "small_fleet", 1).synthetic
    assert small.drift.used_aircraft == 2
    assert small.drift.rate_multiplier == params.synthetic.drift.rate_multiplier
    assert small.fleet_end == 8 and small.rate_fh == params.synthetic.rate_fh
    assert [
        worlds.world_spec(params, f"interaction_{k}", 1).synthetic.interaction for k in ("05", "15", "30", "50")
    ] == [
        0.05,
        0.15,
        0.3,
        0.5,
    ]
    assert worlds.world_spec(params, "baseline", 1).synthetic.interaction == 0


def test_study_budget_params_replace_the_networks_ensemble_and_epochs_only(params):
    spec = worlds.world_spec(with_study(params, ensemble=1, epochs=7), "baseline", 1)
    assert (spec.train.ensemble, spec.train.epochs) == (1, 7)
    assert spec.train.units == params.train.units and spec.train.patience == params.train.patience


def test_the_drift_free_twin_keeps_the_seeds_and_loses_the_drift(params):
    spec = worlds.world_spec(params, "baseline", 3)
    twin = worlds.drift_free(spec.synthetic)
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
        worlds.world_spec(params, "nope", 1)


# --- runs ---------------------------------------------------------------------------------


def test_weekly_frames_are_the_truth_in_the_datasets_form(params):
    small = params.synthetic.model_copy(
        update={**SMALL_WORLD, "drift": params.synthetic.drift.model_copy(update=SMALL_DRIFT)}
    )
    world = synth.build_world(small)
    dataset, truth = worlds.weekly_frames(world)
    assert list(dataset.columns) == weekly_dataset.DATASET_COLUMNS
    assert weekly_dataset.validate(dataset, weekly_dataset.WEEKLY_SCHEMA).empty
    assert dataset["HH"].tolist() == world.truth["HH"].tolist()
    counts = worlds.collection_counts(world)
    assert counts["utilization_rows"].sum() == len(world.utilization)
    assert counts["event_rows"].sum() == world.events["source"].isin(synth.KEPT_SOURCES).sum()


@pytest.mark.slow
def test_the_in_memory_dataset_equals_what_the_pipeline_builds_from_the_files(params, tmp_path):
    work = project_copy(tmp_path, Path("data/synthetic/raw"), synthetic=small_world(params, interaction=0.1))
    for stage in ("generate", "ingest", "clean", "aggregate", "join"):
        result = run_stage(work, stage)
        assert result.returncode == 0, f"{stage}: {result.stderr}"
    built = pd.read_csv(work / paths.WEEKLY_DATASET)
    world = synth.build_world(config.load(work / "params.yaml").synthetic)
    in_memory, _ = worlds.weekly_frames(world)
    expected = weekly_dataset.to_csv_frame(in_memory)
    assert built["date"].tolist() == expected["date"].tolist()
    for column in weekly_dataset.DATASET_COLUMNS[1:]:
        assert np.abs(built[column].to_numpy(float) - expected[column].to_numpy(float)).max() <= 1e-6, column
    # What the monitor stage counts from the cleaned files, on the dataset's weeks, is what a world counts.
    weeks = pd.to_datetime(built["date"])
    on_files = monitor.weekly_counts(
        io.read_parquet(work / paths.EVENTS_CLEAN), io.read_parquet(work / paths.UTILIZATION_CLEAN)
    )
    on_files, counted = (
        c.set_index("date").reindex(weeks, fill_value=0) for c in (on_files, worlds.collection_counts(world))
    )
    assert on_files.astype(int).equals(counted.astype(int))


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
    specs = [worlds.world_spec(tiny, family, world) for family in ("baseline", "interaction_15") for world in (1, 2)]
    return tiny, worlds.run_worlds(specs, tiny.split, tiny.monitor, backend="loky", n_jobs=2)


@pytest.mark.slow
def test_a_smoke_run_scores_every_model_and_summarizes(smoke):
    _, results = smoke
    for result in results:
        # The default network, the other architecture (the ablation), then every baseline.
        assert list(result["models"]) == ["network", "network_mlp", *forecasters.BASELINES]
        assert set(result["models"]["network"]["intervals"]) == {"symmetric", "asymmetric"}
        for scores in result["models"].values():
            assert scores["ratio"] >= 0.999  # nothing beats the median oracle in expectation
        assert 0 <= result["models"]["network"]["coverage_80"] <= 1
    summary = statistics.summarize(results, ["baseline", "interaction_15"])
    assert summary["scenarios"]["interaction_15"]["worlds"] == 2
    assert "## The retraining verdict, measured" in output.markdown(summary)


@pytest.mark.slow
def test_two_worlds_on_a_dask_cluster_give_the_same_numbers_as_loky(smoke):
    import dask
    from dask.distributed import LocalCluster

    tiny, results = smoke
    specs = [worlds.world_spec(tiny, "baseline", world) for world in (1, 2)]
    with (
        dask.config.set({"distributed.worker.daemon": False}),
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
    ):
        on_dask = worlds.run_worlds(
            specs, tiny.split, tiny.monitor, backend="dask", scheduler=cluster.scheduler_address, n_jobs=2
        )
    assert on_dask == results[:2]


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


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        ({}, {"architecture": "mlp", "loss": "mae"}),
        ({"loss": "poisson"}, {"architecture": "mlp", "loss": "mae"}),
        ({"architecture": "mlp", "dropout": 0.2}, {"architecture": "hybrid", "dropout": 0.0}),
        ({"architecture": "mlp", "loss": "huber"}, {"architecture": "hybrid", "loss": "huber"}),
    ],
)
def test_the_ablation_network_keeps_the_settings_its_architecture_can_take(params, update, expected):
    train = config.TrainParams.model_validate({**params.train.model_dump(), "architecture": "hybrid", **update})
    other = worlds.ablation_params(train)
    assert {key: getattr(other, key) for key in expected} == expected
    assert (other.layers, other.units, other.seed) == (train.layers, train.units, train.seed)


def test_each_detector_fires_on_a_rise_and_counts_only_alarms_from_the_change_on(params):
    rng = np.random.default_rng(4)
    val_predicted = np.full(52, 400.0)
    val_errors = np.abs(rng.normal(0, 20, 52))
    predicted = np.full(39, 400.0)
    calm = 400 + rng.normal(0, 20, 39)
    risen = calm.copy()
    risen[10:] += 120  # from production week 11 on, the errors grow by six validation SDs
    reference = (val_predicted, val_errors)
    assert worlds.detector_alarms(predicted, calm, reference, params.monitor) == {"rank": None, "cusum": None}
    found = worlds.detector_alarms(predicted, risen, reference, params.monitor, first_week=11)
    assert 11 <= found["cusum"] <= 13 and 11 <= found["rank"] <= 11 + params.monitor.window_weeks  # a window to fill
    early = risen.copy()
    early[:4] += 120  # an alarm before the change is not a detection of it
    later = worlds.detector_alarms(predicted, early, reference, params.monitor, first_week=11)
    assert later["rank"] >= 11 and later["cusum"] >= 11
