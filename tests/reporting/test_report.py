import re

import pytest

from hhforecast.reporting import report
from tests.helpers import MONITOR_PARAMS, report_inputs

MONITOR = MONITOR_PARAMS
NAMES = ["predicted_vs_actual", "residuals", "backtest", "training_curve", "drift", "monitoring"]


def test_the_page_has_its_six_figures_as_pngs_captioned_in_english_and_byte_stable():
    first = report.figure_set(report_inputs(), MONITOR)
    assert list(first) == NAMES
    assert all(data.startswith(b"\x89PNG") for data, _ in first.values())
    assert first["drift"][1] == "Feature drift: PSI of the production period against the reference window."
    assert b"Feature drift: PSI" in first["drift"][0]  # the caption is the PNG's title too
    assert report.figure_set(report_inputs(), MONITOR) == first


def test_html_is_self_contained_with_every_section():
    read = report_inputs()
    page = report.page(read, report.figure_set(read, MONITOR))
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', page)) == 6
    assert not re.search(r'src="(?!data:)', page)  # nothing fetched from elsewhere
    for heading in (
        "The dataset at a glance",
        "Forecast vs actual",
        "Against baselines and the oracle",
        "Monitoring the production period",
        "Simulation study",
        "Model card",
    ):
        assert f"<h2>{heading}" in page
    # The study is its own pipeline: the report points at its files beside it, and embeds nothing of it.
    assert '<a href="study.md">' in page and '<a href="figures/study_ratio.png">' in page
    assert "feature age_fleet drifted" in page and "oracle (exact quantiles)" in page
    assert "network − model, backtest" in page and "tie" in page
    assert "average of 5 networks" in page
    assert "Fleet in the data: 10 to 20 aircraft a week." in page  # from the dataset's acft
    assert "<figcaption>Training curve: loss per epoch on the training weeks and on the training window" in page


@pytest.mark.parametrize(
    ("train", "words"),
    [
        (
            {"architecture": "hybrid", "layers": 1, "units": 16, "ensemble": 5, "hybrid": {"skip_terms": ["a", "a*b"]}},
            "hybrid Keras network: a least-squares skip in a + a*b, times exp of an MLP correction (1×16)",
        ),
        (
            {"architecture": "mlp", "layers": 2, "units": 8, "ensemble": 3, "mlp": {"linear_skip": True}},
            "Keras MLP (2×8, linear path: True), average of 3 networks",
        ),
        # A bundle from before the architectures: linear_skip sat in train itself.
        (
            {"layers": 1, "units": 16, "linear_skip": False},
            "Keras MLP (1×16, linear path: False), average of 1 networks",
        ),
    ],
)
def test_the_report_describes_the_network_its_metadata_records(train, words):
    assert words in report.model_description(train)


def test_the_card_says_the_served_model_learned_the_test_weeks_too():
    windows = {"train": ["a", "b"], "val": ["c", "d"], "test": ["e", "f"]}
    assert report.fitted_weeks(windows) == "training a to b, validation c to d, test e to f"
    assert report.fitted_weeks({**windows, "fitted": ["a", "f"]}).startswith("served model refit on every week a to f")


def test_a_dataset_brought_in_whole_says_so_where_the_raw_rows_would_be():
    read = report_inputs(
        quality={
            "source": "dataset",
            "dataset_path": "data/own/weekly.csv",
            "weeks": 60,
            "first_week": "2022-01-03",
            "last_week": "2023-02-20",
            "missing_weeks": 0,
        }
    )
    page = report.page(read, report.figure_set(read, MONITOR))
    glance = page.split("<h2>The dataset at a glance</h2>")[1].split("<h2>")[0]
    assert "came whole from <code>data/own/weekly.csv</code> (data.source: dataset)" in glance
    assert "<table>" not in glance  # no rejects table
