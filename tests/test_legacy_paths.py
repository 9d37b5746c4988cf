"""Baselines pickled before the subpackages record `hhforecast.forecasters`; they still load (`hh rollback`)."""

import pickle

import pytest

from hhforecast.forecasting import forecasters


@pytest.mark.parametrize("forecaster", forecasters.baselines(gbm_seed=0), ids=lambda f: type(f).__name__)
def test_a_baseline_pickled_under_the_old_module_path_loads(monkeypatch, forecaster):
    monkeypatch.setattr(type(forecaster), "__module__", "hhforecast.forecasters")
    data = pickle.dumps(forecaster)
    monkeypatch.undo()
    assert b"hhforecast.forecasters" in data and b"hhforecast.forecasting" not in data
    assert type(pickle.loads(data)) is type(forecaster)
