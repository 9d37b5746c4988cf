"""The model registry: GTO git tags (`hh-model@vX.Y.Z`, stage `prod`), a promotion gate, rollback.

Versions and stages are git tags, the DVC ecosystem's registry, so they travel
with the repository; a version's bytes come back from git and the DVC cache
with `dvc.api`, so a rollback changes what is served without retraining.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hhforecast.core import config, paths
from hhforecast.core.errors import HHForecastError
from hhforecast.evaluation import compare
from hhforecast.forecasting import forecasters, intervals
from hhforecast.serving import git
from hhforecast.serving.bundle import Bundle, load_bytes, load_workspace

ARTIFACT = "hh-model"
PROD = "prod"
# The pipeline's state a promoted model comes from: an uncommitted change to any of these refuses a promotion.
PIPELINE_STATE = [p.as_posix() for p in (paths.DVC_LOCK, paths.DVC_YAML, config.DEFAULT_PARAMS, paths.METRICS)]


class RegistryError(HHForecastError):
    """A registry operation cannot proceed (nothing to roll back to, uncommitted model, ...)."""


@dataclass(frozen=True)
class Version:
    version: str
    commit: str
    stages: tuple[str, ...]
    created_at: str


def commit_of(repo: Path, rev: str) -> str:
    """The commit a revision, tag or DVC experiment name (refs/exps/…/<name>) points at."""
    try:
        return git.output("rev-parse", "--verify", f"{rev}^{{commit}}", repo=repo).strip()
    except git.GitError:
        refs = git.output("for-each-ref", "refs/exps", "--format=%(refname) %(objectname)", repo=repo).split("\n")
        found = [line.split()[1] for line in refs if line and line.split()[0].rsplit("/", 1)[-1] == rev]
        if len(found) != 1:
            raise RegistryError(f"{rev!r} is neither a git revision nor one DVC experiment's name") from None
        return found[0]


def versions(repo: Path) -> list[Version]:
    """Registered versions of the model, oldest first; `stages` holds `prod` for the one in production."""
    return _versions(repo, prod_history(repo))


def _versions(repo: Path, history: list[str]) -> list[Version]:
    """The versions, with `prod` on the most recent assignment in `history` (so a rollback takes effect at once)."""
    from gto import api
    from gto.exceptions import ArtifactNotFound

    current = history[-1] if history else None
    try:
        rows = api.show(str(repo), ARTIFACT, table=False)
    except ArtifactNotFound:
        return []
    found = []
    for row in rows:
        created = row.get("created_at")
        found.append(
            Version(
                version=row["version"],
                commit=row["commit_hexsha"],
                stages=(PROD,) if row["version"] == current else (),
                created_at=created.isoformat() if isinstance(created, dt.datetime) else str(created),
            )
        )
    return sorted(found, key=lambda v: _semver(v.version))


def production(repo: Path) -> Version | None:
    """The version named by the most recent `prod` assignment, if any."""
    return _in_prod(versions(repo))


def _in_prod(listed: list[Version]) -> Version | None:
    return next((v for v in listed if PROD in v.stages), None)


def prod_history(repo: Path) -> list[str]:
    """Versions in the order they were assigned `prod` (GTO numbers its stage tags)."""
    tags = git.output("tag", "--list", f"{ARTIFACT}#{PROD}#*", repo=repo).split()
    return [_version_of_tag(repo, t) for t in sorted(tags, key=lambda t: int(t.rsplit("#", 1)[1]))]


def rollback_target(repo: Path) -> tuple[Version, Version]:
    """(current, previous): the highest version below the current one that has been in prod before."""
    history = prod_history(repo)
    listed = _versions(repo, history)
    current = _in_prod(listed)
    if current is None:
        raise RegistryError("nothing is in prod: there is nothing to roll back")
    earlier = {v for v in history if _semver(v) < _semver(current.version)}
    if not earlier:
        raise RegistryError(
            f"{ARTIFACT}@{current.version} is the first version that was in prod: nothing to roll back to"
        )
    target = max(earlier, key=_semver)
    return current, next(v for v in listed if v.version == target)


def _version_of_tag(repo: Path, tag: str) -> str:
    """A stage tag points at its version's commit; the version tag on that commit names the version."""
    commit = git.output("rev-list", "-n", "1", tag, repo=repo).strip()
    version_tags = git.output("tag", "--list", f"{ARTIFACT}@*", "--points-at", commit, repo=repo).split()
    if not version_tags:
        raise RegistryError(f"stage tag {tag} points at {commit[:8]}, which has no registered version")
    return max((t.split("@", 1)[1] for t in version_tags), key=_semver)


def next_version(repo: Path) -> str:
    existing = [v.version for v in versions(repo)]
    if not existing:
        return "v1.0.0"
    major, minor, _ = _semver(max(existing, key=_semver))
    return f"v{major}.{minor + 1}.0"


def _semver(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(part) for part in version.lstrip("v").split("."))
    return major, minor, patch


def read_at(repo: Path, rev: str, path: Path) -> bytes:
    """A file's bytes at a git revision: from git if it is committed, else from the DVC cache."""
    import dvc.api

    committed = git.committed_file(repo, rev, path)
    if committed is not None:
        return committed
    cached = _cached_output(repo, rev, path)
    if cached is not None:
        return cached
    try:
        return dvc.api.read(str(path), repo=str(repo), rev=rev, mode="rb")
    except FileNotFoundError:
        raise
    except Exception as exc:  # dvc raises PathMissingError and friends; all mean "not at that revision"
        raise FileNotFoundError(f"{path} at {rev[:12]}: {exc}") from None


def _cached_output(repo: Path, rev: str, path: Path) -> bytes | None:
    """A DVC output's bytes at `rev` straight from the local cache, by the md5 that revision's `.dvc` file or
    dvc.lock records (dvc.api.read finds the same object, but takes seconds to open the revision); None when
    no md5 is recorded, the object is not in the cache, or its md5 is not the recorded one."""
    import configparser
    import hashlib

    import yaml

    recorded: object = None
    tracked = git.committed_file(repo, rev, Path(f"{path.as_posix()}.dvc"))  # `dvc add`ed
    if tracked is not None:
        outs = (yaml.safe_load(tracked) or {}).get("outs") or [{}]
        recorded = outs[0].get("md5")
    else:
        lock_text = git.committed_file(repo, rev, paths.DVC_LOCK)  # a stage's output
        lock = (yaml.safe_load(lock_text) or {}) if lock_text is not None else {}
        recorded = next(
            (
                out.get("md5")
                for stage in (lock.get("stages") or {}).values()
                for out in stage.get("outs", [])
                if out.get("path") == path.as_posix()
            ),
            None,
        )
    if not isinstance(recorded, str) or recorded.endswith(".dir"):
        return None
    dvc_dir = repo / ".dvc"
    cache = dvc_dir / "cache"
    for config_file in ("config", "config.local"):  # the local file overrides the shared one
        settings = configparser.ConfigParser()
        try:
            settings.read(dvc_dir / config_file, encoding="utf-8")
        except configparser.Error:
            return None
        if settings.has_option("cache", "dir"):
            cache = dvc_dir / settings.get("cache", "dir").strip()
    try:
        data = (cache / "files" / "md5" / recorded[:2] / recorded[2:]).read_bytes()
    except OSError:
        return None
    return data if hashlib.md5(data).hexdigest() == recorded else None


def load_version(repo: Path, version: Version) -> Bundle:
    return load_bytes(lambda p: read_at(repo, version.commit, p), version.version, f"{ARTIFACT}@{version.version}")


def load_served(repo: Path, rev: str | None = None) -> tuple[Bundle, str]:
    """The bundle to serve and a sentence saying which: `rev`, else `prod`, else the workspace."""
    if rev is not None:
        match = next((v for v in versions(repo) if v.version == rev), None)
        if match is None:
            commit = git.output("rev-parse", rev, repo=repo).strip()
            bundle = load_bytes(lambda p: read_at(repo, commit, p), rev, f"git revision {rev}")
            return bundle, f"serving the model at git revision {rev}"
        return load_version(repo, match), f"serving {ARTIFACT}@{match.version} (chosen with --rev)"
    current = production(repo)
    if current is None:
        return load_workspace(repo), "no model has been promoted to prod yet: serving the workspace model"
    return load_version(repo, current), f"serving {ARTIFACT}@{current.version} (stage {PROD})"


# --- the promotion gate -------------------------------------------------------------------------


def backtest_at(repo: Path, rev: str | None) -> pd.DataFrame:
    """The per-week backtest (every model's forecast of every backtest week) of the workspace (rev None) or a revision."""
    if rev is None:
        return pd.read_csv(repo / paths.BACKTEST_WEEKS)
    try:
        return pd.read_csv(io.BytesIO(read_at(repo, rev, paths.BACKTEST_WEEKS)))
    except FileNotFoundError:
        raise RegistryError(
            f"revision {rev[:12]} has no per-week backtest ({paths.BACKTEST_WEEKS}; it predates the paired backtest), "
            "so it cannot be compared week by week"
        ) from None


def trained_through_at(repo: Path, rev: str | None) -> str | None:
    """The last week a model learned (its metadata's `trained_through`) in the workspace (rev None) or at a
    revision; None for a model saved before it was recorded."""
    try:
        text = (repo / paths.MODEL_METADATA).read_bytes() if rev is None else read_at(repo, rev, paths.MODEL_METADATA)
    except FileNotFoundError:
        return None
    return json.loads(text).get("trained_through")


def shared_weeks(first: pd.DataFrame, second: pd.DataFrame, names: tuple[str, str], suffix: str) -> pd.DataFrame:
    """Two per-week backtests on the weeks both were scored on (the second's columns get `suffix`): windows
    that moved with newer data still overlap. At least 3 weeks, or a RegistryError naming both."""
    both = first.merge(second, on="date", suffixes=("", suffix), validate="one_to_one")
    if len(both) < 3:
        raise RegistryError(
            f"the {names[0]}'s and the {names[1]}'s backtests share {len(both)} week(s); at least 3 are needed "
            "to pair them: re-evaluate one of them on the other's data, or promote with --force --reason '…'"
        )
    return both


# The two rules a candidate is promoted by (GateResult.rule, recorded in the decision log).
IMPROVEMENT, REFRESH = "improvement", "refresh"


@dataclass(frozen=True)
class GateResult:
    passed: bool
    table: pd.DataFrame
    reasons: list[str]
    comparison: str | None = None  # the paired sentence, with its interval and p-value
    rule: str | None = None  # which rule decided, in words (None without a production model)
    paired_weeks: int = 0  # the backtest weeks both models were scored on
    rule_name: str | None = None  # IMPROVEMENT or REFRESH


def gate(
    candidate: pd.DataFrame,
    production: pd.DataFrame | None,
    coverage_tolerance: float,
    nominal_coverage: float = 0.8,
    refresh_margin: float = 0.0,
    trained_through: tuple[str | None, str | None] = (None, None),
) -> GateResult:
    """Candidate against production, paired on the backtest weeks both were scored on, with honest coverage.

    `trained_through` is (candidate's, production's) last learned week. Two rules:

    * **refresh**: the candidate learned newer weeks. It replaces production unless it is shown worse by
      more than the margin (`refresh_margin` × production's MAE on the paired weeks): refused only when the
      95 % interval of the paired difference lies wholly above the margin. New data is worth a tie.
    * **improvement**: no newer weeks. It must be better beyond the noise (the interval below zero); a tie
      brings nothing, so it needs `--force`.
    """
    y = candidate["actual"].to_numpy(float)
    cand = candidate[forecasters.NETWORK].to_numpy(float)
    covered = (y >= candidate["lower_80"]) & (y <= candidate["upper_80"])
    cand_cov = float(covered.mean())
    low, high = intervals.coverage_interval(int(covered.sum()), len(covered))
    reasons = []
    rows = [
        {"metric": "backtest MAE", "candidate": float(np.mean(np.abs(y - cand)))},
        {"metric": "coverage 80%", "candidate": cand_cov},
    ]
    if abs(cand_cov - nominal_coverage) > coverage_tolerance:
        reasons.append(
            f"coverage {cand_cov:.3f} (95 % CI {low:.3f}..{high:.3f}) is more than {coverage_tolerance:g} "
            f"from the nominal {nominal_coverage:g}"
        )
    rows[1]["required"] = f"{nominal_coverage - coverage_tolerance:.3f}..{nominal_coverage + coverage_tolerance:.3f}"
    if production is None:
        return GateResult(not reasons, pd.DataFrame(rows).set_index("metric"), reasons)
    both = shared_weeks(candidate, production, ("candidate", "production model"), "_production")
    y_both = both["actual"].to_numpy(float)
    cand_both = both[forecasters.NETWORK].to_numpy(float)
    prod = both[f"{forecasters.NETWORK}_production"].to_numpy(float)
    paired = compare.paired_backtest(y_both, cand_both, prod, both["fold"].to_numpy())
    comparison = paired.sentence("candidate", "production")
    production_mae = float(np.mean(np.abs(y_both - prod)))
    # The table compares like with like: both models' MAE and coverage on the weeks they were paired on (the
    # coverage rule above holds the candidate to its whole backtest).
    rows[0]["candidate"], rows[0]["production"] = float(np.mean(np.abs(y_both - cand_both))), production_mae
    prod_covered = (both["actual"] >= both["lower_80_production"]) & (both["actual"] <= both["upper_80_production"])
    rows[1]["production"] = float(prod_covered.mean())
    ours, theirs = trained_through
    refresh = ours is not None and theirs is not None and ours > theirs
    if refresh:
        margin = refresh_margin * production_mae
        rule = (
            f"{REFRESH}: the candidate learned newer weeks (through {ours}; production through {theirs}), so it "
            f"replaces production unless shown worse by more than {margin:.2f} HH/week "
            f"({refresh_margin:.0%} of production's MAE on the {len(both)} paired weeks)"
        )
        rows[0]["required"] = f"paired 95 % CI not wholly above +{margin:.2f}"
        if paired.ci_low > margin:
            reasons.append(f"worse than production by more than the refresh margin: {comparison}")
    else:
        rule = (
            f"{IMPROVEMENT}: the candidate learned no newer weeks (through {ours or 'unrecorded'}; production "
            f"through {theirs or 'unrecorded'}), so it must be better beyond the noise"
        )
        rows[0]["required"] = "paired 95 % CI below 0"
        if paired.verdict != compare.BETTER:
            reasons.append(f"not better than production beyond the noise: {comparison}")
    return GateResult(
        not reasons,
        pd.DataFrame(rows).set_index("metric"),
        reasons,
        comparison,
        rule,
        len(both),
        REFRESH if refresh else IMPROVEMENT,
    )


def require_committed_model(repo: Path) -> str:
    """The candidate must be the committed state: clean dvc.lock/metrics/params and an up-to-date pipeline."""
    dirty = git.output("status", "--porcelain", "--", *PIPELINE_STATE, repo=repo).strip()
    if dirty:
        raise RegistryError(f"uncommitted changes to the pipeline state; commit them first:\n{dirty}")
    return git.output("rev-parse", "HEAD", repo=repo).strip()


def register_and_promote(repo: Path, commit: str, version: str, reason: str) -> None:
    from gto import api

    api.register(str(repo), ARTIFACT, ref=commit, version=version, message=reason)
    api.assign(str(repo), ARTIFACT, PROD, version=version, message=reason)


def assign_prod(repo: Path, version: str, reason: str) -> None:
    from gto import api

    api.assign(str(repo), ARTIFACT, PROD, version=version, message=reason, force=True)


def metrics_at(repo: Path, commit: str) -> dict[str, Any]:
    """metrics/eval.json at a commit ({} when it has none)."""
    try:
        return json.loads(read_at(repo, commit, paths.EVAL))
    except FileNotFoundError:
        return {}
