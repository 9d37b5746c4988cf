"""The promotion gate's two rules, on per-week backtests built by hand: a refresh (newer weeks learned) is
refused only when shown worse by more than the margin; an improvement (no newer weeks) must be better."""

import numpy as np
import pandas as pd
import pytest

from hhforecast.serving import lifecycle, registry


def backtest(miss: float, n: int = 104, start: str = "2019-01-07", seed: int = 0) -> pd.DataFrame:
    """The network misses each week by about `miss` HH (±20 %), alternately above and below; its 80 % range
    covers 80 % of the weeks. The weekly noise is the same for every `miss`, so only the level differs."""
    rng = np.random.default_rng(seed)
    weeks = np.arange(n) + (pd.Timestamp(start) - pd.Timestamp("2019-01-07")).days // 7  # same week, same actual
    actual = 300 + 50 * np.sin(weeks / 8)
    error = miss * (1 + 0.2 * rng.standard_normal(n))
    predicted = actual + np.where(np.arange(n) % 2, error, -error)
    half = np.where(np.arange(n) < round(0.8 * n), np.abs(error) + 1, np.abs(error) / 2)
    return pd.DataFrame(
        {
            "fold": np.arange(n) // 13 + 1,
            "date": pd.date_range(start, periods=n, freq="7D").strftime("%Y-%m-%d"),
            "actual": actual,
            "network": predicted,
            "lower_80": predicted - half,
            "upper_80": predicted + half,
        }
    )


NEWER = ("2024-06-03", "2024-04-01")  # (candidate's, production's) trained_through
SAME = ("2024-04-01", "2024-04-01")


@pytest.mark.parametrize(
    ("candidate_miss", "seed", "trained_through", "paired", "passed", "rule", "reason"),
    [
        (40.2, 1, NEWER, "tie", True, "refresh", None),  # new data is worth a tie
        (40.3, 0, NEWER, "worse", True, "refresh", None),  # worse beyond the noise, not beyond the margin (0.8 HH)
        (46.0, 0, NEWER, "worse", False, "refresh", "worse than production by more than the refresh margin"),
        (35.0, 0, NEWER, "better", True, "refresh", None),
        (40.2, 1, SAME, "tie", False, "improvement", "not better than production beyond the noise"),
        (35.0, 0, SAME, "better", True, "improvement", None),
        (35.0, 0, (None, None), "better", True, "improvement", None),  # bundles that predate trained_through
        (40.2, 1, ("2024-06-03", None), "tie", False, "improvement", "not better than production beyond the noise"),
    ],
)
def test_a_refresh_needs_only_not_to_be_worse_by_the_margin_an_improvement_must_be_better(
    candidate_miss, seed, trained_through, paired, passed, rule, reason
):
    result = registry.gate(
        backtest(candidate_miss, seed=seed), backtest(40.0), 0.10, refresh_margin=0.02, trained_through=trained_through
    )
    assert result.comparison is not None
    assert result.comparison.startswith("candidate vs production: tie" if paired == "tie" else f"candidate is {paired}")
    assert result.passed is passed
    assert result.rule is not None and result.rule.startswith(f"{rule}: the candidate learned")
    assert result.paired_weeks == 104
    if reason is None:
        assert result.reasons == []
    else:
        assert any(r.startswith(reason) for r in result.reasons), result.reasons


def test_the_refresh_rule_states_its_margin_in_hh_and_the_weeks_it_paired():
    result = registry.gate(backtest(40.2, seed=1), backtest(40.0), 0.10, refresh_margin=0.02, trained_through=NEWER)
    production_mae = float(np.mean(np.abs(backtest(40.0)["actual"] - backtest(40.0)["network"])))
    assert result.rule == (
        "refresh: the candidate learned newer weeks (through 2024-06-03; production through 2024-04-01), so it "
        f"replaces production unless shown worse by more than {0.02 * production_mae:.2f} HH/week "
        "(2% of production's MAE on the 104 paired weeks)"
    )


def test_a_candidate_whose_window_moved_is_paired_on_the_weeks_both_were_scored_on():
    moved = backtest(40.2, seed=1, start="2019-04-08")  # its windows moved 13 weeks with newer data
    result = registry.gate(moved, backtest(40.0), 0.10, refresh_margin=0.02, trained_through=NEWER)
    assert result.paired_weeks == 104 - 13
    assert result.passed


def test_backtests_with_fewer_than_three_weeks_in_common_are_refused_by_name():
    with pytest.raises(registry.RegistryError, match=r"backtests share 2 week\(s\); at least 3 are needed"):
        registry.gate(backtest(40.0, start="2020-12-21"), backtest(40.0), 0.10, trained_through=NEWER)


def test_the_decision_log_says_which_rule_decided():
    verdict = registry.gate(backtest(40.2, seed=1), backtest(40.0), 0.10, refresh_margin=0.02, trained_through=NEWER)
    proposal = lifecycle.Proposal("abc", None, backtest(40.2, seed=1), verdict)
    assert lifecycle.recorded_reason(proposal, "weekly refresh") == f"weekly refresh [{verdict.rule}]"
    assert lifecycle.recorded_reason(proposal, None) == f"{lifecycle.PASSED} [{verdict.rule}]"


def test_the_gate_table_shows_both_models_on_the_weeks_it_paired():
    moved, production = backtest(40.2, seed=1, start="2019-04-08"), backtest(40.0)
    result = registry.gate(moved, production, 0.10, refresh_margin=0.02, trained_through=NEWER)
    shared = production.iloc[13:].reset_index(drop=True)
    assert result.table.loc["backtest MAE", "production"] == pytest.approx(
        float(np.mean(np.abs(shared["actual"] - shared["network"])))
    )
    assert result.table.loc["backtest MAE", "candidate"] == pytest.approx(
        float(np.mean(np.abs(moved["actual"].iloc[:91] - moved["network"].iloc[:91])))
    )
    assert np.allclose(moved["actual"].iloc[:91], shared["actual"])  # the fixture's weeks agree on their actuals


def test_force_decides_without_pairing_when_the_backtests_share_too_few_weeks(monkeypatch, tmp_path):
    far = backtest(40.0, start="2021-01-04")
    current = registry.Version("v1.0.0", "abc", ("prod",), "2024-01-01")
    monkeypatch.setattr(registry, "require_committed_model", lambda repo: "def")
    monkeypatch.setattr(registry, "production", lambda repo: current)
    monkeypatch.setattr(registry, "backtest_at", lambda repo, rev: far if rev is None else backtest(40.0))
    monkeypatch.setattr(registry, "trained_through_at", lambda repo, rev: None)
    with pytest.raises(registry.RegistryError, match=r"share 0 week\(s\)"):
        lifecycle.propose(tmp_path, 0.10)
    proposal = lifecycle.propose(tmp_path, 0.10, force=True, reason="new fleet, new backtest")
    assert proposal.unpaired is not None and "share 0 week(s)" in proposal.unpaired
    assert proposal.gate.comparison is None and proposal.gate.passed


def test_compare_pairs_two_revisions_on_the_weeks_both_were_scored_on(monkeypatch, tmp_path):
    tables = {"old": backtest(40.0), "new": backtest(40.2, seed=1, start="2019-04-08")}
    monkeypatch.setattr(registry, "commit_of", lambda repo, rev: rev)
    monkeypatch.setattr(registry, "backtest_at", lambda repo, rev: tables[rev])
    compared = lifecycle.compare_revisions(tmp_path, "new", "old")
    shared = tables["old"].iloc[13:]
    assert compared.paired.n_weeks == 104 - 13
    assert compared.mae_b == pytest.approx(float(np.mean(np.abs(shared["actual"] - shared["network"]))))
    tables["far"] = backtest(40.0, start="2021-01-04")
    with pytest.raises(registry.RegistryError, match=r"the far's and the old's backtests share 0 week\(s\)"):
        lifecycle.compare_revisions(tmp_path, "far", "old")
