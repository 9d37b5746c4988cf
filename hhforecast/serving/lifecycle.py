"""The model's lifecycle in the registry, as `hh promote`, `hh rollback`, `hh compare` and `hh models` run it:
the promotion through the gate (with `--force` and its reason), the rollback, the paired comparison of two
revisions, and the listing of versions. Each decision is recorded in the tags and the decision log."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hhforecast.core.errors import HHForecastError
from hhforecast.evaluation import compare
from hhforecast.forecasting import forecasters
from hhforecast.serving import decisions, registry

PASSED = "passed the promotion gate"  # the reason recorded when none is given and the gate passed


class PromotionRefused(HHForecastError):
    """The promotion cannot be decided as asked (e.g. `--force` without a reason); nothing was changed."""


@dataclass(frozen=True)
class Proposal:
    """The committed model, the one in production, and the gate's verdict on them."""

    commit: str  # the candidate: HEAD, whose pipeline state is committed
    current: registry.Version | None  # the version in prod, if any
    candidate: pd.DataFrame  # the candidate's per-week backtest
    gate: registry.GateResult
    unpaired: str | None = None  # why production's backtest could not be paired (only when forced past it)


def propose(
    repo: Path,
    coverage_tolerance: float,
    force: bool = False,
    reason: str | None = None,
    refresh_margin: float = 0.0,
) -> Proposal:
    """Put the committed model through the gate against production's backtest (`registry.gate`: a candidate
    that learned newer weeks is a refresh, judged with `refresh_margin`; any other must be an improvement).

    `force` decides without production's backtest when it cannot be read (a revision from before the
    per-week backtest); it needs a `reason`, which the decision log and the tag record."""
    commit = registry.require_committed_model(repo)
    current = registry.production(repo)
    if force and not reason:
        raise PromotionRefused("--force needs --reason '…', recorded in the decision log and the tag")
    candidate = registry.backtest_at(repo, None)
    unpaired = None
    try:
        production = registry.backtest_at(repo, current.commit) if current else None
    except registry.RegistryError as exc:
        if not force:
            raise registry.RegistryError(f"{exc}; promote with --force --reason '…' to decide without it") from None
        production, unpaired = None, str(exc)
    trained_through = (
        registry.trained_through_at(repo, None),
        registry.trained_through_at(repo, current.commit) if current else None,
    )
    try:
        verdict = registry.gate(
            candidate, production, coverage_tolerance, refresh_margin=refresh_margin, trained_through=trained_through
        )
    except registry.RegistryError as exc:  # too few backtest weeks in common to pair them
        if not force:
            raise
        unpaired = str(exc)
        verdict = registry.gate(candidate, None, coverage_tolerance)
    return Proposal(commit, current, candidate, verdict, unpaired)


def recorded_reason(proposal: Proposal, reason: str | None) -> str:
    """The reason the tag and the decision log record: the one given, saying what the promotion went past."""
    if proposal.unpaired is not None:
        reason = f"promoted without a paired comparison: {reason}"
    if not proposal.gate.passed:
        reason = f"promoted despite the gate ({'; '.join(proposal.gate.reasons)}): {reason}"
    reason = reason or PASSED
    # The decision log says which rule decided (a refresh with newer weeks, or an improvement without).
    return f"{reason} [{proposal.gate.rule}]" if proposal.gate.rule else reason


def promote(repo: Path, proposal: Proposal, reason: str) -> str:
    """Register the candidate as the next version, put it in prod, log the decision; returns the version."""
    version = registry.next_version(repo)
    registry.register_and_promote(repo, proposal.commit, version, reason)
    decisions.append(repo, "promote", f"{registry.ARTIFACT}@{version}", reason)
    return version


def rollback(repo: Path, reason: str | None = None) -> tuple[registry.Version, registry.Version]:
    """Put the previous production version back in prod and log it; returns (was, now)."""
    current, target = registry.rollback_target(repo)
    reason = reason or f"rollback from {current.version}"
    registry.assign_prod(repo, target.version, reason)
    decisions.append(repo, "rollback", f"{registry.ARTIFACT}@{target.version} (from {current.version})", reason)
    return current, target


@dataclass(frozen=True)
class Comparison:
    """Two revisions' networks on the same backtest weeks."""

    mae_a: float
    mae_b: float
    paired: compare.Paired


def compare_revisions(repo: Path, a: str, b: str) -> Comparison:
    """The networks of revisions `a` and `b` (commits, tags, experiment names, or "workspace"), paired per week
    on the backtest weeks both were scored on."""
    tables = {
        rev: registry.backtest_at(repo, None if rev == "workspace" else registry.commit_of(repo, rev)) for rev in (a, b)
    }
    both = registry.shared_weeks(tables[a], tables[b], (a, b), "_b")
    network, actual = forecasters.NETWORK, both["actual"].to_numpy(float)
    return Comparison(
        float(np.mean(np.abs(actual - both[network]))),
        float(np.mean(np.abs(actual - both[f"{network}_b"]))),
        compare.paired_backtest(
            actual, both[network].to_numpy(float), both[f"{network}_b"].to_numpy(float), both["fold"].to_numpy()
        ),
    )


def listing(repo: Path) -> list[dict[str, Any]]:
    """One row per registered version: stage, commit, headline metrics, registration time, the last decision."""
    decided = decisions.read(repo)
    rows = []
    for version in registry.versions(repo):
        metrics = registry.metrics_at(repo, version.commit)
        rows.append(
            {
                "version": version.version,
                "stage": ",".join(version.stages) or "-",
                "commit": version.commit[:12],
                "test_mae": metrics.get("test", {}).get("mae"),
                "backtest_mae": metrics.get("backtest", {}).get("mae_mean"),
                "coverage_80": metrics.get("backtest", {}).get("coverage_80_mean"),
                "registered": version.created_at[:19],
                "last_decision": next((line[2:] for line in reversed(decided) if f"@{version.version}" in line), ""),
            }
        )
    return rows
