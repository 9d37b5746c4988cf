import subprocess

import pandas as pd
import pytest

from hhforecast.serving import lifecycle, registry
from tests.helpers import git_repo


def proposal(passed: bool = True, unpaired: str | None = None) -> lifecycle.Proposal:
    reasons = [] if passed else ["coverage 0.500 is more than 0.1 from the nominal 0.8", "not better than production"]
    gate = registry.GateResult(passed, pd.DataFrame(), reasons)
    return lifecycle.Proposal("0" * 40, None, pd.DataFrame(), gate, unpaired)


@pytest.mark.parametrize(
    ("passed", "unpaired", "given", "recorded"),
    [
        (True, None, None, "passed the promotion gate"),
        (True, None, "new fleet", "new fleet"),
        (True, "no per-week backtest", "new fleet", "promoted without a paired comparison: new fleet"),
        (
            False,
            None,
            "new fleet",
            "promoted despite the gate (coverage 0.500 is more than 0.1 from the nominal 0.8; not better than "
            "production): new fleet",
        ),
        (
            False,
            "no per-week backtest",
            "new fleet",
            "promoted despite the gate (coverage 0.500 is more than 0.1 from the nominal 0.8; not better than "
            "production): promoted without a paired comparison: new fleet",
        ),
    ],
)
def test_the_recorded_reason_says_what_a_promotion_went_past(passed, unpaired, given, recorded):
    assert lifecycle.recorded_reason(proposal(passed, unpaired), given) == recorded


@pytest.mark.slow
def test_force_without_a_reason_is_refused_before_the_gate_runs(tmp_path):
    repo = git_repo(tmp_path)
    (repo / "params.yaml").write_text("{}\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "state"], cwd=repo, check=True)
    with pytest.raises(lifecycle.PromotionRefused, match="--force needs --reason '…', recorded in the decision log"):
        lifecycle.propose(repo, 0.1, force=True, reason=None)
    with pytest.raises(registry.RegistryError, match="uncommitted changes to the pipeline state"):
        (repo / "params.yaml").write_text("{changed: 1}\n")
        lifecycle.propose(repo, 0.1, force=True, reason=None)  # the committed state is checked first, as before
