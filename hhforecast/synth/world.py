"""The synthetic airline itself: its fleet, the days it flies, its defects and the truth they make.

`build_world` is pure: all randomness comes from `np.random.default_rng(params.seed)`, and it
returns canonical tables; the messy files are `export`'s business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hhforecast.core.config import SyntheticParams
from hhforecast.core.contract import EVENT_REJECT_REASONS, fleet_key
from hhforecast.core.errors import ConfigError
from hhforecast.synth.defects import (
    KEPT_SOURCES,
    draw_defect_hh_units,
    expected_hh_per_defect,
    kept_share,
    with_quantiles,
)
from hhforecast.synth.layout import coverage, event_layout, event_windows, utilization_windows
from hhforecast.synth.truthdist import HH_UNITS_PER_HOUR

# --- constants of the world --------------------------------------------------------------

SOURCES = ("PILOT", "CABIN", "MECH", "AUTH")
INVALID_REASONS = EVENT_REJECT_REASONS[:7]  # the reasons a single bad cell can plant
FH_UNITS_PER_HOUR = 10  # FH quantum 0.1 h = 6 min: exact as "9,4" and "09:24"
TRUTH_WINDOW_WEEKS = 4  # sum_uti_mensal: aggregate.window_days = 28 days
MAX_FH_PER_DAY = 20.0  # below clean.max_flight_hours_per_day
IDLE_PROBABILITY = 0.03  # spare / line-maintenance days an in-service aircraft sits
FH_NOISE_SIGMA = 0.08  # day-to-day lognormal noise on flight hours
COLLAPSE_DROP_DAYS = 14  # utilization falls to the trough over two weeks
WEEKDAY_FACTOR = np.array([1.03, 0.97, 0.98, 1.02, 1.06, 0.93, 1.01])  # Mon..Sun
CLOSE_MINUTES = (45, 480)  # closed_at = raised_at + a few hours

# (description, ATA chapter, ATA section) per source: what the free-text column says.
DESCRIPTIONS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "PILOT": (
        ("Pack 2 fault message", 21, 51),
        ("Autopilot disconnects in cruise", 22, 10),
        ("VHF 1 static", 23, 12),
        ("Generator 1 off message", 24, 22),
        ("Flap fail message", 27, 50),
        ("Fuel imbalance indication", 28, 40),
        ("Hydraulic system 2 low quantity", 29, 30),
        ("Windshield heat fault", 30, 40),
        ("Display unit 3 blank", 31, 60),
        ("Brake temperature high", 32, 42),
        ("Weather radar inoperative", 34, 41),
        ("Bleed 1 leak message", 36, 11),
        ("Engine 2 vibration indication", 77, 30),
    ),
    "CABIN": (
        ("Cabin temperature too high", 21, 61),
        ("PA system noisy", 23, 31),
        ("Seat 12C recline broken", 25, 21),
        ("Overhead bin latch broken", 25, 23),
        ("Galley oven inoperative", 25, 31),
        ("Reading light 8A inoperative", 33, 21),
        ("Lavatory flush inoperative", 38, 31),
        ("Coffee maker leaking", 38, 10),
    ),
    "MECH": (
        ("Tire worn to limits", 32, 41),
        ("Oil consumption high", 79, 0),
        ("Static discharger missing", 23, 60),
        ("Panel fastener missing", 53, 10),
        ("Corrosion found on floor beam", 53, 20),
        ("Lightning strike inspection", 5, 51),
    ),
    "AUTH": (
        ("Ramp inspection finding", 5, 0),
        ("Placard missing", 11, 0),
        ("Emergency equipment expired", 25, 60),
    ),
}
# What an invalid row's one bad cell says, by reason (drawn here: the world plants its invalid rows).
UNKNOWN_SOURCES = ("GROUND", "XPTO")
UNPARSEABLE_DATES = ("31/02/{year}", "n/d", "{year}-13-45")
UNPARSEABLE_HH = ("abc", "1h30", "--")


@dataclass(frozen=True)
class World:
    """Everything the synthetic airline did, in canonical form, plus what the raw files plant.

    `events` holds each valid exported action row once (all sources); `junk` the invalid rows
    (one bad cell each, not part of the defect process); `conflicts` the utilization rows the
    earlier of two overlapping exports gets wrong.
    """

    params: SyntheticParams
    aircraft: pd.DataFrame
    utilization: pd.DataFrame
    events: pd.DataFrame
    truth: pd.DataFrame
    planted: dict[str, Any]
    junk: pd.DataFrame
    conflicts: pd.DataFrame


# --- the dynamics (pure, vectorized) ------------------------------------------------------


def aging_multiplier(age_years: np.ndarray | float, breaks: Sequence[float], slopes: Sequence[float]) -> np.ndarray:
    """m(age): log-linear with a slope per age band, m(0) = 1, continuous at the breaks.

    Aging studies find defect rates rising fast in the first years and slowly after.
    """
    age = np.maximum(np.asarray(age_years, dtype=float), 0.0)
    (b0, b1), (s0, s1, s2) = breaks, slopes
    log_m = s0 * np.minimum(age, b0) + s1 * np.clip(age - b0, 0.0, b1 - b0) + s2 * np.maximum(age - b1, 0.0)
    return np.exp(log_m)


def seasonality(days: np.ndarray) -> np.ndarray:
    """Utilization multiplier by day of year: peaks in Dec-Jan (largest) and July."""
    doy = (days - days.astype("datetime64[Y]")).astype(np.int64)
    x = 2.0 * np.pi * (doy - 8) / 365.25
    return 1.0 + 0.02 * np.cos(x) + 0.06 * np.cos(2.0 * x)


def collapse_factor(days: np.ndarray, params: SyntheticParams) -> np.ndarray:
    """A 2020-style collapse: down to the trough in two weeks, then a smooth recovery."""
    t = (days - np.datetime64(params.collapse_start, "D")).astype(np.int64).astype(float)
    trough = params.collapse_trough
    recovery = params.collapse_recovery_weeks * 7.0
    drop = 1.0 - (1.0 - trough) * t / COLLAPSE_DROP_DAYS
    rise = trough + (1.0 - trough) * (1.0 - np.cos(np.pi * (t - COLLAPSE_DROP_DAYS) / recovery)) / 2.0
    factor = np.where(t < COLLAPSE_DROP_DAYS, drop, rise)
    return np.where((t < 0) | (t >= COLLAPSE_DROP_DAYS + recovery), 1.0, factor)


def _check(params: SyntheticParams) -> None:
    """Cross-field rules pydantic cannot see; each names the key to fix."""
    problems = []
    if params.seed < 0:
        problems.append("seed: must be >= 0")
    if params.weeks - params.drift.weeks <= params.events_lag_weeks:
        problems.append("drift.weeks: leaves no exported weeks before the drift")
    if params.weeks - params.drift.weeks - params.plateau_weeks < 8:
        problems.append("plateau_weeks: leaves no weeks for the fleet to grow")
    if not params.overlap_days < 365:
        problems.append("overlap_days: must be shorter than a year")
    unknown = set(params.source_mix) - set(SOURCES)
    if unknown or sum(params.source_mix.values()) <= 0 or min(params.source_mix.values()) < 0:
        problems.append(f"source_mix: sources must be {list(SOURCES)} with non-negative weights")
    bad_reasons = set(params.invalid_event_rows) - set(INVALID_REASONS)
    if bad_reasons or any(v < 0 for v in params.invalid_event_rows.values()):
        problems.append(f"invalid_event_rows: reasons must be among {list(INVALID_REASONS)}, counts >= 0")
    if not 0 < params.aog_hours[0] < params.aog_hours[1]:
        problems.append("aog_hours: must be [low, high] with 0 < low < high")
    if not 0 < params.fh_per_day[0] <= params.fh_per_day[1] < MAX_FH_PER_DAY:
        problems.append(f"fh_per_day: must be [low, high] with 0 < low <= high < {MAX_FH_PER_DAY}")
    if not 0 < params.aging_breaks[0] < params.aging_breaks[1]:
        problems.append("aging_breaks: must be increasing and positive")
    if round(params.retirements * params.scale) > round(params.fleet_start * params.scale):
        problems.append("retirements: more than the starting fleet")
    if _fleet_sizes(params)[1] < 0:
        problems.append("fleet_end: smaller than fleet_start minus retirements")
    if not 0 < params.drift.used_age_years[0] <= params.drift.used_age_years[1]:
        problems.append("drift.used_age_years: must be [low, high] with 0 < low <= high")
    if problems:
        raise ConfigError("; ".join(f"synthetic.{p}" for p in problems))


def _fleet_sizes(params: SyntheticParams) -> tuple[int, int, int, int]:
    """(initial fleet, deliveries, retirements, drift aircraft), all scaled and rounded."""
    n_start = round(params.fleet_start * params.scale)
    n_end = round(params.fleet_end * params.scale)
    n_retire = round(params.retirements * params.scale)
    n_drift = round(params.drift.used_aircraft * params.scale) if params.drift.weeks > 0 else 0
    return n_start, n_end - n_start + n_retire, n_retire, n_drift


def _registrations(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique Brazilian-style marks ('PR-EAB'); keys (uppercase alphanumerics) stay unique."""
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    prefixes = np.array(["PR", "PT", "PS", "PP"])
    pool = 26**3 * (1 if n <= 26**3 else len(prefixes))
    if n > pool:
        raise ConfigError(f"synthetic.scale: {n} aircraft exceed the {pool} available registrations")
    codes = rng.choice(pool, size=n, replace=False)
    prefix = prefixes[codes // 26**3]
    rest = codes % 26**3
    marks = [f"{p}-{letters[r // 676]}{letters[(r // 26) % 26]}{letters[r % 26]}" for p, r in zip(prefix, rest)]
    return np.array(marks, dtype=object)


def _build_fleet(params: SyntheticParams, rng: np.random.Generator) -> pd.DataFrame:
    """Initial fleet, new and used deliveries, retirements of the oldest, drift arrivals.

    Deliveries and retirements stop `plateau_weeks` before the drift, so the fleet
    is flat in the weeks monitoring uses as its reference and in the drift period:
    the planted drift (old aircraft replacing the youngest) then moves the fleet's
    age and the defect rate, not its size or utilization.
    Day numbers count from params.start; `last_day` is the last day in service (inclusive).
    """
    n_days = params.weeks * 7
    drift_day = (params.weeks - params.drift.weeks) * 7
    growth_end = max(drift_day - params.plateau_weeks * 7, 8)
    n_start, n_deliver, n_retire, n_drift = _fleet_sizes(params)
    n_types = len(params.aircraft_types)
    year = 365.25

    # Initial fleet: older types are older (delivered earlier in the type's life).
    type_start = rng.integers(0, n_types, size=n_start)
    age_start = rng.uniform(0.5, 7.0, size=n_start) + (n_types - 1 - type_start) * 1.5
    mfg_start = -np.rint(age_start * year).astype(np.int64)

    # Deliveries between the first week and the drift period; a share arrives used.
    deliver_day = np.sort(rng.integers(7, growth_end, size=n_deliver))
    used = np.zeros(n_deliver, dtype=bool)
    used[rng.permutation(n_deliver)[: round(params.used_delivery_share * n_deliver)]] = True
    used_age = rng.uniform(5.0, 12.0, size=n_deliver)
    new_age = rng.uniform(30, 200, size=n_deliver) / year  # a few months from the factory
    age_at_delivery = np.where(used, used_age, new_age)
    mfg_deliver = deliver_day - np.rint(age_at_delivery * year).astype(np.int64)
    type_deliver = rng.integers(0, n_types, size=n_deliver)

    # Drift: old used aircraft joining when the final period starts.
    mfg_drift = drift_day - np.rint(rng.uniform(*params.drift.used_age_years, size=n_drift) * year).astype(np.int64)
    type_drift = rng.integers(0, n_types, size=n_drift)

    first_day = np.concatenate([np.zeros(n_start, np.int64), deliver_day, np.full(n_drift, drift_day)])
    mfg_day = np.concatenate([mfg_start, mfg_deliver, mfg_drift])
    type_idx = np.concatenate([type_start, type_deliver, type_drift])
    used_delivery = np.concatenate([np.zeros(n_start, bool), used, np.ones(n_drift, bool)])
    drift_aircraft = np.concatenate([np.zeros(n_start + n_deliver, bool), np.ones(n_drift, bool)])
    n = len(first_day)

    # Retire the oldest aircraft of the initial fleet during the years before the drift.
    last_day = np.full(n, n_days - 1, dtype=np.int64)
    oldest = np.argsort(mfg_day[:n_start], kind="stable")[:n_retire]
    last_day[oldest] = np.sort(rng.integers(n_days // 5, max(growth_end, n_days // 5 + 1), size=n_retire))
    # Drift: the youngest aircraft in service leave (lease returns) as the old ones arrive.
    if n_drift:
        candidates = np.flatnonzero(~drift_aircraft & (first_day < drift_day) & (last_day >= drift_day))
        youngest = candidates[np.argsort(-mfg_day[candidates], kind="stable")[:n_drift]]
        last_day[youngest] = drift_day - 1

    lo, hi = params.fh_per_day
    centre = lo + (hi - lo) * (0.3 + 0.4 * type_idx / max(n_types - 1, 1))
    base_fh = np.clip(centre + rng.normal(0.0, 0.12 * (hi - lo), size=n), lo, hi)
    start = np.datetime64(params.start, "D")
    return pd.DataFrame(
        {
            "registration": _registrations(rng, n).astype(str),
            "aircraft_type": np.array(params.aircraft_types, dtype=object)[type_idx].astype(str),
            "manufacture_date": (start + mfg_day).astype("datetime64[s]"),
            "in_service_from": (start + first_day).astype("datetime64[s]"),
            "in_service_to": (start + last_day).astype("datetime64[s]"),
            "used_delivery": used_delivery,
            "drift_aircraft": drift_aircraft,
            "base_fh_per_day": base_fh,
            "heavy_check_phase": rng.integers(0, params.heavy_check_every_days, size=n),
            "first_day": first_day,
            "last_day": last_day,
            "mfg_day": mfg_day,
        }
    )


def _fly(params: SyntheticParams, fleet: pd.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Flight hours (in 0.1 h units) and cycles per aircraft-day; 0 where not flown."""
    n_days = params.weeks * 7
    d = np.arange(n_days)
    days = np.datetime64(params.start, "D") + d
    n = len(fleet)
    collapse = collapse_factor(days, params)
    # A collapse parks part of the fleet and shortens the rest's days: both scale by sqrt.
    p_fly = (1.0 - IDLE_PROBABILITY) * np.sqrt(collapse)
    level = seasonality(days) * WEEKDAY_FACTOR[d % 7] * np.sqrt(collapse)

    first = fleet["first_day"].to_numpy()[:, None]
    last = fleet["last_day"].to_numpy()[:, None]
    phase = fleet["heavy_check_phase"].to_numpy()[:, None]
    in_service = (d[None, :] >= first) & (d[None, :] <= last)
    in_check = (d[None, :] - phase) % params.heavy_check_every_days < params.heavy_check_days
    flies = in_service & ~in_check & (rng.random((n, n_days)) < p_fly[None, :])

    noise = rng.lognormal(0.0, FH_NOISE_SIGMA, (n, n_days))
    hours = fleet["base_fh_per_day"].to_numpy()[:, None] * level[None, :] * noise
    tenths = np.clip(np.rint(hours * FH_UNITS_PER_HOUR), 1, MAX_FH_PER_DAY * FH_UNITS_PER_HOUR).astype(np.int64)
    sector = params.sector_hours * rng.uniform(0.85, 1.15, (n, n_days))
    cycles = np.maximum(1, np.rint(tenths / FH_UNITS_PER_HOUR / sector)).astype(np.int64)
    return np.where(flies, tenths, 0), np.where(flies, cycles, 0)


def _daily_rate(
    params: SyntheticParams, fh: np.ndarray, fc: np.ndarray, age: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """Expected defects on a flown aircraft-day: (a*FH*(1 + i*age) + b*FC + c) * m(age) * drift multiplier.

    `i` (synthetic.interaction, 0 by default) makes each flight hour wear an old aircraft more
    than a young one: a utilization x age term no sum of separate effects can express.
    """
    drift_day = (params.weeks - params.drift.weeks) * 7
    drift = np.where((params.drift.weeks > 0) & (day >= drift_day), params.drift.rate_multiplier, 1.0)
    per_fh = params.rate_fh * fh
    if params.interaction:  # skipped at 0, so the default world's floats (and files) are untouched
        per_fh = per_fh * (1.0 + params.interaction * np.maximum(age, 0.0))
    base = per_fh + params.rate_fc * fc + params.rate_day
    return base * aging_multiplier(age, params.aging_breaks, params.aging_slopes) * drift


def _draw_events(
    params: SyntheticParams, util: pd.DataFrame, rate: np.ndarray, day: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Defects on exported aircraft-days, each split into action rows, in canonical form."""
    export_day = params.events_lag_weeks * 7
    counts = np.where(day >= export_day, rng.poisson(rate), 0)
    row = np.repeat(np.arange(len(util)), counts)
    n = len(row)
    names = [s for s in SOURCES if params.source_mix.get(s, 0) > 0]
    mix = np.array([params.source_mix[s] for s in names])
    source_idx = rng.choice(len(names), size=n, p=mix / mix.sum())
    source = np.array(names, dtype=object)[source_idx]
    minute = rng.integers(0, 24 * 60, size=n)
    close = rng.integers(*CLOSE_MINUTES, size=n, endpoint=True)
    description, ata = _describe(source, rng)
    k, units = draw_defect_hh_units(rng, n, params)

    start = np.datetime64(params.start, "m")
    raised = start + (day[row] * 1440 + minute).astype("timedelta64[m]")
    registration = util["registration"].to_numpy()[row]
    order = np.lexsort((registration, raised))
    width = max(7, len(str(n + 1)))
    event_id = np.array([f"D{i:0{width}d}" for i in range(1, n + 1)], dtype=object)

    k, units, raised, registration = k[order], units[order], raised[order], registration[order]
    source, description, ata, close = source[order], description[order], ata[order], close[order]
    per_action = np.repeat(np.arange(n), k)
    action = np.arange(len(per_action)) - np.repeat(np.cumsum(k) - k, k) + 1
    action_units = units[per_action, action - 1]
    return pd.DataFrame(
        {
            "event_id": event_id[per_action].astype(str),
            "action_id": action.astype(str),
            "registration": registration[per_action].astype(str),
            "source": source[per_action].astype(str),
            "raised_at": raised[per_action].astype("datetime64[s]"),
            "closed_at": (raised + close.astype("timedelta64[m]"))[per_action].astype("datetime64[s]"),
            "hh": action_units / HH_UNITS_PER_HOUR,
            "ata": ata[per_action].astype(str),
            "description": description[per_action].astype(str),
        }
    )


def _describe(source: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A free-text description and its ATA chapter (2 digits) per defect, by source."""
    description = np.empty(len(source), dtype=object)
    ata = np.empty(len(source), dtype=object)
    pick = rng.random(len(source))
    for name, options in DESCRIPTIONS.items():
        mask = source == name
        idx = (pick[mask] * len(options)).astype(np.int64)
        description[mask] = np.array([o[0] for o in options], dtype=object)[idx]
        ata[mask] = np.array([f"{o[1]:02d}-{o[2]:02d}" for o in options], dtype=object)[idx]
    return description, ata


def _truth(
    params: SyntheticParams,
    fleet: pd.DataFrame,
    fh: np.ndarray,
    fc: np.ndarray,
    rate_grid: np.ndarray,
    events: pd.DataFrame,
    fleets: list[str] | None = None,
) -> pd.DataFrame:
    """Weekly features, realized and expected HH, from the internal tables (not the files).

    `fleets` restricts the truth to those aircraft types, as `data.fleets` restricts the pipeline.
    """
    if fleets is not None:
        chosen = fleet["aircraft_type"].map(fleet_key).isin([fleet_key(f) for f in fleets]).to_numpy()
        fleet, fh, fc, rate_grid = fleet.loc[chosen], fh[chosen], fc[chosen], rate_grid[chosen]
        events = events.loc[events["registration"].isin(set(fleet["registration"]))]
    n_weeks = params.weeks
    week_fh = fh.reshape(len(fleet), n_weeks, 7).sum(axis=(0, 2))
    week_fc = fc.reshape(len(fleet), n_weeks, 7).sum(axis=(0, 2))
    active = (fh.reshape(len(fleet), n_weeks, 7) > 0).any(axis=2)
    monday = np.arange(n_weeks) * 7
    age = (monday[None, :] - fleet["mfg_day"].to_numpy()[:, None]) / 365.25
    acft = active.sum(axis=0)
    age_fleet = np.where(active, age, 0.0).sum(axis=0) / np.maximum(acft, 1)
    month_fh = np.convolve(week_fh, np.ones(TRUTH_WINDOW_WEEKS, dtype=np.int64))[:n_weeks]

    kept = events["source"].isin(KEPT_SOURCES).to_numpy()
    start = np.datetime64(params.start, "D")
    event_week = (events["raised_at"].to_numpy().astype("datetime64[D]") - start).astype(np.int64) // 7
    units = np.rint(events["hh"].to_numpy() * HH_UNITS_PER_HOUR).astype(np.int64)
    hh_units = np.bincount(event_week[kept], weights=units[kept], minlength=n_weeks)
    expected = rate_grid.reshape(len(fleet), n_weeks, 7).sum(axis=(0, 2))
    expected = expected * kept_share(params) * expected_hh_per_defect(params)

    # The dataset's week rule (weeks.dataset_week_range): the 28-day window ending on the week's Sunday lies
    # inside the utilization (from week 3 on) and the week inside the events' range (from events_lag_weeks on).
    first_week = max(TRUTH_WINDOW_WEEKS - 1, params.events_lag_weeks)
    weeks = slice(first_week, n_weeks)
    drift = (np.arange(n_weeks) >= n_weeks - params.drift.weeks).astype(np.int64)
    truth = (
        pd.DataFrame(
            {
                "date": (start + monday).astype("datetime64[s]"),
                "acft": acft,
                "sum_daily_hours": week_fh / FH_UNITS_PER_HOUR,
                "age_fleet": age_fleet,
                "Cycles": week_fc,
                "sum_uti_mensal": month_fh / FH_UNITS_PER_HOUR,
                "HH": hh_units / HH_UNITS_PER_HOUR,
                "HH_expected": expected,
                "drift": drift,
            }
        )
        .iloc[weeks]
        .reset_index(drop=True)
    )
    return with_quantiles(truth, params)


def _draw_junk(
    params: SyntheticParams,
    util: pd.DataFrame,
    day: np.ndarray,
    first_serial: int,
    width: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One invalid row per planted count: a valid-looking row with exactly one bad cell.

    Rows sit on days only one workbook holds, so no overlap duplicates them.
    """
    reasons = [r for r in INVALID_REASONS for _ in range(params.invalid_event_rows.get(r, 0))]
    n = len(reasons)
    windows = event_windows(params)
    single = coverage(windows, params.weeks * 7) == 1
    candidates = np.flatnonzero(single[day])
    if n and not len(candidates):
        raise ConfigError("synthetic.overlap_days: no exported day lies outside the overlaps for invalid rows")
    row = candidates[rng.integers(0, len(candidates), size=n)] if n else np.zeros(0, np.int64)
    minute = rng.integers(0, 24 * 60, size=n)
    raised = np.datetime64(params.start, "m") + (day[row] * 1440 + minute).astype("timedelta64[m]")
    closed = raised + rng.integers(*CLOSE_MINUTES, size=n, endpoint=True).astype("timedelta64[m]")
    source = np.array(KEPT_SOURCES, dtype=object)[rng.integers(0, len(KEPT_SOURCES), size=n)]
    description, ata = _describe(source, rng)
    hours = np.minimum(rng.lognormal(params.hh_log_mean, params.hh_log_sigma, n), params.aog_hours[1])
    units = np.maximum(1, np.rint(hours * HH_UNITS_PER_HOUR))
    year = np.array([next(w.year for w in windows if w.lo <= d <= w.hi) for d in day[row]], dtype=np.int64)

    bad: list[object] = []
    for reason, y in zip(reasons, year):
        if reason == "unparseable_date":
            bad.append(str(rng.choice(UNPARSEABLE_DATES)).format(year=y))
        elif reason == "unknown_source":
            bad.append(str(rng.choice(UNKNOWN_SOURCES)))
        elif reason == "unparseable_hh":
            bad.append(str(rng.choice(UNPARSEABLE_HH)))
        elif reason == "negative_hh":
            bad.append("-1,5" if rng.random() < 0.5 else -2.0)
        elif reason == "hh_above_max":
            bad.append(float(np.rint(rng.uniform(500.0, 999.0) * HH_UNITS_PER_HOUR)) / HH_UNITS_PER_HOUR)
        else:  # missing_event_id, missing_hh: the cell is empty
            bad.append(None)
    serial = first_serial + np.arange(n)
    event_id = [None if r == "missing_event_id" else f"D{s:0{width}d}" for r, s in zip(reasons, serial)]
    return pd.DataFrame(
        {
            "reason": pd.Series(reasons, dtype=object),
            "event_id": pd.Series(event_id, dtype=object),
            "action_id": pd.Series(["1"] * n, dtype=object),
            "registration": pd.Series(util["registration"].to_numpy()[row], dtype=object),
            "source": pd.Series(source, dtype=object),
            "raised_at": raised.astype("datetime64[s]"),
            "closed_at": closed.astype("datetime64[s]"),
            "hh": units / HH_UNITS_PER_HOUR,
            "ata": pd.Series(ata, dtype=object),
            "description": pd.Series(description, dtype=object),
            "year": year,
            "bad_value": pd.Series(bad, dtype=object),
        }
    )


def _draw_conflicts(
    params: SyntheticParams, util: pd.DataFrame, day: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Aircraft-days in overlaps whose earlier export carries wrong flight hours (and cycles)."""
    n = params.conflicting_utilization_rows
    double = coverage(utilization_windows(params), params.weeks * 7) == 2
    candidates = np.flatnonzero(double[day])
    if n > len(candidates):
        raise ConfigError(
            f"synthetic.conflicting_utilization_rows: {n} requested but only "
            f"{len(candidates)} aircraft-days lie in export overlaps (raise overlap_days)"
        )
    row = np.sort(rng.choice(candidates, size=n, replace=False))
    tenths = np.rint(util["flight_hours"].to_numpy()[row] * FH_UNITS_PER_HOUR).astype(np.int64)
    delta = rng.integers(3, 21, size=n) * np.where(rng.random(n) < 0.5, -1, 1)
    wrong = np.where(tenths + delta >= 1, tenths + delta, tenths + np.abs(delta))
    cycles = util["cycles"].to_numpy()[row] + (rng.random(n) < 0.5)
    return pd.DataFrame({"row": row, "flight_hours": wrong / FH_UNITS_PER_HOUR, "cycles": cycles.astype(np.int64)})


def build_world(params: SyntheticParams, fleets: list[str] | None = None) -> World:
    """Simulate fleet, utilization and defects; derive the truth (for `fleets`, default all) and the planted counts."""
    _check(params)
    rng_fleet, rng_fly, rng_events, rng_junk, rng_conflicts = np.random.default_rng(params.seed).spawn(5)
    fleet = _build_fleet(params, rng_fleet)
    fh, fc = _fly(params, fleet, rng_fly)

    ac, day = np.nonzero(fh.T)[::-1]  # flown aircraft-days, ordered by day then aircraft
    order = np.lexsort((fleet["registration"].to_numpy()[ac], day))
    ac, day = ac[order], day[order]
    start = np.datetime64(params.start, "D")
    util = pd.DataFrame(
        {
            "date": (start + day).astype("datetime64[s]"),
            "registration": fleet["registration"].to_numpy()[ac],
            "flight_hours": fh[ac, day] / FH_UNITS_PER_HOUR,
            "cycles": fc[ac, day],
            "manufacture_date": fleet["manufacture_date"].to_numpy()[ac],
            "aircraft_type": fleet["aircraft_type"].to_numpy()[ac],
        }
    )
    age = (day - fleet["mfg_day"].to_numpy()[ac]) / 365.25
    rate = _daily_rate(params, fh[ac, day] / FH_UNITS_PER_HOUR, fc[ac, day], age, day)
    rate_grid = np.zeros(fh.shape)
    rate_grid[ac, day] = rate

    events = _draw_events(params, util, rate, day, rng_events)
    width = len(events["event_id"].iloc[0]) - 1 if len(events) else 7
    junk = _draw_junk(params, util, day, events["event_id"].nunique() + 1, width, rng_junk)
    conflicts = _draw_conflicts(params, util, day, rng_conflicts)
    truth = _truth(params, fleet, fh, fc, rate_grid, events, fleets)
    planted = _planted(params, events, junk, conflicts, day)
    aircraft = (
        fleet.drop(columns=["first_day", "last_day", "mfg_day"])
        .sort_values(["in_service_from", "registration"], kind="stable")
        .reset_index(drop=True)
    )
    return World(params, aircraft, util, events, truth, planted, junk, conflicts)


def _planted(
    params: SyntheticParams, events: pd.DataFrame, junk: pd.DataFrame, conflicts: pd.DataFrame, util_day: np.ndarray
) -> dict[str, Any]:
    """What a correct pipeline must report: rejects per reason, data rows written, total rows skipped."""
    n_days = params.weeks * 7
    start = np.datetime64(params.start, "D")
    event_day = (events["raised_at"].to_numpy().astype("datetime64[D]") - start).astype(np.int64)
    event_cover = coverage(event_windows(params), n_days)[event_day]
    util_cover = coverage(utilization_windows(params), n_days)[util_day]
    counts = {reason: 0 for reason in EVENT_REJECT_REASONS}
    for reason in INVALID_REASONS:
        counts[reason] = int((junk["reason"] == reason).sum())
    counts["duplicate"] = int((event_cover - 1).sum())
    counts["source_not_kept"] = int((~events["source"].isin(KEPT_SOURCES)).sum())
    return {
        "events": counts,
        "utilization": {
            "duplicate": int((util_cover - 1).sum()) - len(conflicts),
            "superseded": len(conflicts),
        },
        "events_rows_written": int(event_cover.sum()) + len(junk),
        "utilization_rows_written": int(util_cover.sum()),
        # Trailing TOTAL rows under the workbooks' data: not data, ingest skips and counts them.
        "total_rows": sum(event_layout(w.year)["total_row"] for w in event_windows(params)),
    }
