import functools

import pytest

from hhforecast.reporting import thesis
from tests.helpers import MONITOR_PARAMS as MONITOR
from tests.helpers import report_inputs

HASHES = {name: f"md5-of-{name}" for name in thesis.INPUTS}


@functools.cache
def written(language: str) -> dict[str, bytes | str]:
    return thesis.files(report_inputs(), language, HASHES, MONITOR)


@pytest.mark.parametrize("language", ["pt", "en"])
def test_every_file_of_the_thesis_is_byte_stable_and_names_its_inputs(language):
    first = written(language)
    if language == "pt":  # drawing twice shows the bytes stable; the language changes only the labels
        assert first == thesis.files(report_inputs(), language, HASHES, MONITOR)
    assert sorted(first) == sorted(
        [f"{name}{suffix}" for name in thesis.FIGURES for suffix in (".pdf", ".png")]
        + [
            "figures.tex",
            "dataset_summary.tex",
            "rejects_by_reason.tex",
            "model_comparison.tex",
            "intervals.tex",
            "evaluation_summary.tex",
            "diebold_mariano.tex",
            "backtest.tex",
            "backtest_models.tex",
        ]
    )
    for name, content in first.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        assert f"param report.language = {language}".encode() in data, name
    assert (
        b"input data/predictions/test_predictions.csv md5 md5-of-data/predictions/test_predictions.csv"
        in (first["residuals.pdf"])
    )
    assert "input metrics/eval.json" not in first["figures.tex"]  # figures.tex names the figures' inputs only
    assert first["figures.tex"].count("\\begin{figure}") == len(thesis.FIGURES)


def test_the_languages_differ_in_their_captions_and_labels():
    pt, en = written("pt"), written("en")
    assert pt["weekly_series.pdf"] != en["weekly_series.pdf"]
    assert "Curva de treino: perda por época" in pt["figures.tex"]
    assert "Training curve: loss per epoch" in en["figures.tex"]


def test_an_input_without_a_hash_is_refused_by_name():
    hashes = {name: digest for name, digest in HASHES.items() if name != "metrics/backtest.csv"}
    with pytest.raises(KeyError, match=r"no md5 for the thesis's input\(s\) \['metrics/backtest.csv'\]"):
        thesis.files(report_inputs(), "en", hashes, MONITOR)  # before any figure is drawn


def test_real_data_from_a_weekly_dataset_drops_the_rejects_and_says_what_is_left_out():
    quality = {"source": "dataset", "dataset_path": "data/own/weekly.csv", "weeks": 60}
    no_truth = {
        k: v
        for k, v in report_inputs().evaluation.items()
        if k not in ("oracle", "expected_mae_ratio", "expected_intervals", "mae_ratio_to_oracle")
    }
    made = thesis.files(report_inputs(quality=quality, evaluation=no_truth), "en", HASHES, MONITOR)
    assert not {"rejects.pdf", "rejects.png", "rejects_by_reason.tex"} & set(made)
    assert "weekly dataset brought in whole (data/own/weekly.csv): no raw rows" in made["dataset_summary.tex"].lower()
    assert "No synthetic truth (real data)" in made["model_comparison.tex"]
    assert "No synthetic truth" not in written("en")["model_comparison.tex"]
