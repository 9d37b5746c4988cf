"""The docs' generated numbers: the committed docs are what the tool makes of the committed files, every block
is rewritten from its source in the document's language, and what cannot be generated is refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hhforecast.core import paths
from hhforecast.reporting import docnumbers
from tests.helpers import REPO

PARAMS = {
    "monitor": {"false_alarm_rate": 0.05, "min_drift_weeks": 8},
    "study": {"families": {"calm": {}, "rough": {"interaction": 0.1}}, "ensemble": None},
    "train": {"ensemble": 5},
    "verify": {"rel_tolerance": 0.0001},
}
EVALUATION = {
    "test": {"mae": 36.262679, "wape": 10.3, "n_weeks": 52},
    "backtest": {"folds": 16, "weeks": 208, "mae": {"network": 39.578234}},
    "oracle": {"r2": -0.13727},
    "baselines": {"linear": {"mae": 37.722338}},
}
QUALITY = {"weeks": 466, "first_week": "2016-02-01", "last_week": "2024-12-30"}


def comparison(diff: float, low: float, high: float, p: float, verdict: str, equivalent: bool = False) -> dict:
    return {
        "diff_mean": diff,
        "ci_low": low,
        "ci_high": high,
        "p_holm": p,
        "verdict": verdict,
        "holm_size": 2,
        "equivalent": equivalent,
    }


def scenario(linear: dict, false_alarms: float, noise: float, mlp: dict | None = None) -> dict:
    return {
        "worlds": 20,
        "models": {"network": {"ratio_mean": 1.04}, "linear": {"ratio_mean": 1.01}},
        "vs_network": {"linear": linear, **({"network_mlp": mlp} if mlp else {})},
        "monitor": {
            "false_alarm_rate": false_alarms,
            "false_alarm_reasons": {"errors": false_alarms} if false_alarms else {},
            "noise_false_alarm_rate": noise,
            "drift_free_production_ratio_mean": 1.10,
            "detection_rate": 1.0,
            "detection_delay_weeks": 8.0,
        },
    }


STUDY = {
    "equivalence_margin": 0.02,
    "scenarios": {  # sorted by name, as the JSON holds them; params.yaml lists calm first
        "calm": scenario(
            comparison(0.031, 0.004, 0.058, 0.079, "tie"),
            0.05,
            0.05,
            mlp=comparison(-0.004, -0.01, 0.002, 0.4, "tie", equivalent=True),
        ),
        "rough": scenario(
            comparison(0.104, 0.032, 0.175, 0.035, "network worse"),
            0.55,
            0.10,
            mlp=comparison(-0.2, -0.3, -0.1, 0.001, "network better"),
        ),
    },
}


def run(name: str, network: list[float], test_mae: float, ratio: float, backtest_mae: float, **train: object) -> dict:
    return {
        "name": name,
        "train": {"layers": 1, "units": 16, "ensemble": 5, "learning_rate": 0.001, **train},
        "test_mae": test_mae,
        "expected_mae_ratio": ratio,
        "backtest_mae": backtest_mae,
        "backtest": {
            "fold": [1 + week // 2 for week in range(len(network))],  # two weeks per fold: the horizon is 2
            "date": [f"2020-01-{d:02d}" for d in range(6, 6 + len(network))],
            "actual": ACTUAL,
            "network": network,
        },
    }


ACTUAL = [100.0, 120.0, 90.0, 110.0, 105.0, 95.0, 130.0, 85.0]
DEFAULT = run("default", [101, 118, 93, 108, 104, 97, 127, 88], 36.262679, 1.0057, 39.578234)


def project(root: Path, sweep_runs: list[dict] | None = None) -> Path:
    (root / "metrics").mkdir(parents=True, exist_ok=True)
    (root / "params.yaml").write_text(yaml.safe_dump(PARAMS), encoding="utf-8")
    (root / "metrics/eval.json").write_text(json.dumps(EVALUATION), encoding="utf-8")
    (root / "metrics/data_quality.json").write_text(json.dumps(QUALITY), encoding="utf-8")
    (root / "metrics/study.json").write_text(json.dumps(STUDY), encoding="utf-8")
    (root / paths.SWEEP).mkdir(parents=True, exist_ok=True)
    for record in sweep_runs or [DEFAULT]:
        (root / paths.SWEEP / f"{record['name']}.json").write_text(json.dumps(record), encoding="utf-8")
    return root


def rendered(root: Path, text: str, language: str = "en") -> str:
    return docnumbers.render(text, language, docnumbers.Sources(root), "page.md")


def block(name: str, body: str = "old") -> str:
    return f"<!-- generated:{name} -->{body}<!-- /generated:{name} -->"


def test_the_committed_docs_are_what_the_committed_files_give():
    stale = docnumbers.stale(REPO, write=False)
    assert not stale, f"{', '.join(stale)}: generated numbers out of date; run `make docs-numbers` and commit"


def test_both_languages_use_every_generator():
    def names(*patterns: str) -> set[str]:
        pages = [p for pattern in patterns for p in REPO.glob(pattern)]
        return {m.group("name") for p in pages for m in docnumbers.BLOCK.finditer(p.read_text(encoding="utf-8"))}

    assert names("README.md", "docs/*.md") == set(docnumbers.GENERATORS)
    assert names("README.pt-BR.md", "docs/pt-BR/*.md") == set(docnumbers.GENERATORS)


@pytest.mark.parametrize(
    ("relative", "language"),
    [("README.md", "en"), ("README.pt-BR.md", "pt"), ("docs/study.md", "en"), ("docs/pt-BR/study.md", "pt")],
)
def test_the_language_follows_the_page(relative, language):
    assert docnumbers.language_of(Path(relative)) == language


@pytest.mark.parametrize(
    ("value", "digits", "language", "sign", "text"),
    [
        (-0.13727, 2, "en", False, "−0.14"),
        (-0.13727, 2, "pt", False, "−0,14"),
        (1234.5, 1, "en", False, "1,234.5"),
        (1234.5, 1, "pt", False, "1.234,5"),
        (0.031, 3, "en", True, "+0.031"),
    ],
)
def test_numbers_in_prose_follow_the_language(value, digits, language, sign, text):
    assert docnumbers.number(value, digits, language, sign) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (block("nope"), r"page.md:1: no generator for block 'nope'"),
        ("intro\n<!-- generated:results -->\nold\n", r"page.md:2: <!-- generated:results --> has no matching end"),
        ("<!-- /generated:results -->\n", r"page.md:1: <!-- /generated:results --> has no matching end"),
        (
            block("results") + "\n" + block("oracle-r2").replace("/generated:oracle-r2", "/generated:results"),
            r"page.md:2:",
        ),
    ],
)
def test_a_broken_block_is_refused_naming_the_page_and_line(tmp_path, text, message):
    with pytest.raises(docnumbers.DocNumbersError, match=message):
        rendered(project(tmp_path), text)


@pytest.mark.parametrize(
    ("name", "language", "value"),
    [
        ("oracle-r2", "en", "−0.14"),
        ("oracle-r2", "pt", "−0,14"),
        ("backtest-span", "en", "16 folds, 208 weeks"),
        ("backtest-span", "pt", "16 dobras, 208 semanas"),
    ],
)
def test_an_inline_block_is_replaced_inside_its_sentence(tmp_path, name, language, value):
    text = f"R² {block(name)} on the test weeks"
    assert rendered(project(tmp_path), text, language) == f"R² {block(name, value)} on the test weeks"


def test_a_block_of_lines_starts_on_its_own_line_and_rewriting_it_again_changes_nothing(tmp_path):
    root = project(tmp_path)
    once = rendered(root, f"# Numbers\n\n{block('expected-numbers')}\n")
    assert once.startswith(
        "# Numbers\n\n<!-- generated:expected-numbers -->\n| figure | value |\n|---|---|\n"
        "| weeks in the dataset | 466 (2016-02-01 – 2024-12-30) |\n| test MAE (HH per week) | 36.26 |\n"
    )
    assert rendered(root, once) == once


def test_a_missing_source_is_named(tmp_path):
    root = project(tmp_path)
    (root / "metrics/eval.json").unlink()
    with pytest.raises(docnumbers.DocNumbersError, match=r"metrics/eval.json is missing"):
        rendered(root, block("oracle-r2"))


def test_the_study_reading_counts_wins_and_calls_a_holm_tie_by_its_name(tmp_path):
    text = rendered(project(tmp_path), block("study-reading"))
    assert "| linear regression | – | `calm` (+0.031) | `rough` (+0.104) |" in text
    assert "Families (of 2) where the network is better: linear regression 0." in text
    assert "In `calm`, linear regression's edge (+0.031, interval [+0.004, +0.058]) is a tie once Holm's" in text
    assert "correction counts the question's 2 comparisons" in text
    assert "**Equivalence** (TOST, margin ±0.02 in ratio): shown nowhere." in text
    assert (
        "**Ablation** (the default network against the plain MLP network, Holm over the families): better in " in text
    )
    assert "better in `rough` (−0.200); tie in `calm` (−0.004); worse in –." in text
    assert "fired on 3 of the 40 drift-free twins (`calm` 1, `rough` 2): above the 5 % it is calibrated to" in text
    assert "1.10 in `rough` (1.04 on its test window): the network decayed with no planted drift" in text
    assert "It never fired through feature drift or the model's age." in text
    assert "after 8.0 weeks on average, the first week drift may be judged" in text


def test_the_study_headline_groups_every_comparison_by_its_verdict(tmp_path):
    text = rendered(project(tmp_path), block("study-headline"))
    assert "(2 families, 20 worlds each), the default network's expected MAE" in text
    assert "(mean per family): `calm` 1.040, `rough` 1.040." in text
    assert "- **The network is better** (Holm, p < 0.05) than plain MLP network: `rough`." in text
    assert "- **No difference shown** from linear regression: `calm`; plain MLP network: `calm`." in text
    assert "- **The network is worse** than linear regression: `rough`." in text
    pt = rendered(project(tmp_path), block("study-headline"), "pt")
    assert "- **Nenhuma diferença demonstrada** com" in pt and "`calm` 1,040" in pt


def test_the_study_reading_speaks_portuguese(tmp_path):
    text = rendered(project(tmp_path), block("study-reading"), "pt")
    assert "Em `calm`, a vantagem da regressão linear (+0,031, intervalo [+0,004, +0,058]) é um empate" in text
    assert "Nunca disparou por drift de feature nem pela idade do modelo." in text
    assert "**Equivalência** (TOST, margem ±0,02 na razão): não demonstrada em nenhum caso." in text


def test_the_sweep_pairs_every_run_with_the_default_and_says_what_survives(tmp_path):
    worse = run("ensemble-1", [80, 140, 70, 130, 125, 75, 150, 65], 33.5, 1.1745, 49.1, ensemble=1)
    tied = run("units-32", [102, 117, 92, 109, 103, 98, 128, 87], 37.7, 1.0059, 39.3, units=32)
    text = rendered(project(tmp_path, [DEFAULT, worse, tied]), block("sweep"))
    assert "| default | 1×16, ensemble 5, lr 0.001 | 39.578 | – | – | – | – | 1.0057 | 36.263 |" in text
    assert "| run − default, paired (HH/week, 95 % CI) | DM p (HLN) | p (Holm) | verdict |" in text
    assert "Newey–West HAC of 2 lags (one fold) and the Harvey–Leybourne–Newbold correction" in text
    assert "Holm over the 2 runs" in text
    assert "| ensemble-1 | ensemble 1 | 49.100 | +" in text and "| worse | 1.1745 | 33.500 |" in text
    assert "| units-32 | units 32 | 39.300 |" in text and "| tie | 1.0059 | 37.700 |" in text
    assert "`ensemble-1` is worse than the default by" in text and "expected MAE ratio is 17 % higher" in text
    assert "`units-32` tie with the default" in text
    assert "`ensemble-1`'s test MAE is the lowest of all (33.50)" in text
    assert "No run beats the default" in text and "The default run is the committed model" in text


def test_a_sweep_whose_default_is_no_longer_the_committed_model_says_so(tmp_path):
    old = {**DEFAULT, "backtest_mae": 44.634298}
    text = rendered(project(tmp_path, [old]), block("sweep"))
    assert "The committed model has changed since the sweep (backtest MAE 39.578, against 44.634" in text


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([run("ensemble-1", [1, 2, 3], 1.0, 1.0, 1.0)], r"metrics/sweep/default.json is missing"),
        ([DEFAULT, run("units-32", [1, 2, 3], 1.0, 1.0, 1.0)], r"sweep run 'units-32' was backtested on other weeks"),
        (
            [{**DEFAULT, "backtest": {k: v for k, v in DEFAULT["backtest"].items() if k != "fold"}}],
            r"metrics/sweep/default.json has no folds: re-record the sweep",
        ),
    ],
)
def test_a_sweep_that_cannot_be_paired_is_refused(tmp_path, records, message):
    with pytest.raises(docnumbers.DocNumbersError, match=message):
        rendered(project(tmp_path, records), block("sweep"))


def test_check_names_each_stale_page_and_the_command_that_fixes_it(tmp_path, capsys):
    root = project(tmp_path)
    (root / "docs").mkdir()
    (root / "docs/page.md").write_text(f"R² {block('oracle-r2')}\n", encoding="utf-8")
    (root / "README.md").write_text("# up to date, no blocks\n", encoding="utf-8")
    assert docnumbers.main(["--check", "--root", str(root)]) == 1
    assert (
        "docnumbers: docs/page.md differ from the committed metrics: run `make docs-numbers`" in capsys.readouterr().err
    )
    assert docnumbers.main(["--root", str(root)]) == 0
    assert (root / "docs/page.md").read_text(encoding="utf-8") == f"R² {block('oracle-r2', '−0.14')}\n"
    assert docnumbers.main(["--check", "--root", str(root)]) == 0
