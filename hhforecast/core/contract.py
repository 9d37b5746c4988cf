"""The raw-data contract: column-name matching, value vocabularies, reject reasons."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated

import pandas as pd
from pydantic import AfterValidator

# Reject reasons, in the order clean applies them: a row gets the first that fits.
EVENT_REJECT_REASONS = (
    "missing_event_id",
    "unparseable_date",
    "unknown_source",
    "missing_hh",
    "unparseable_hh",
    "negative_hh",
    "hh_above_max",
    "duplicate",
    "superseded",
    "source_not_kept",
    "fleet_not_selected",
    "outside_dataset_weeks",
)
UTILIZATION_REJECT_REASONS = ("duplicate", "superseded", "fleet_not_selected")

# Day 0 of Excel serial dates, as exports hold them: what clean reads and what the synthetic world writes.
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def require_monday(value: dt.date) -> dt.date:
    if value.weekday() != 0:
        raise ValueError(f"{value} is a {value:%A}; weeks are labelled by their Monday")
    return value


# A date that must be a Monday: the label of an ISO week, in params.yaml and in API requests.
Monday = Annotated[dt.date, AfterValidator(require_monday)]


def normalize_name(name: object) -> str:
    """Strip, lowercase, drop accents, non-alphanumerics to '_', collapse and trim '_'.

    NFKD also turns the ordinal sign of 'Nº' into 'o', so 'Nº Defeito' -> 'no_defeito'.
    """
    text = unicodedata.normalize("NFKD", str(name).strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^0-9a-z]+", "_", text)
    return text.strip("_")


def alias_lookup(aliases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Map every normalized alias to its canonical column name."""
    lookup: dict[str, str] = {}
    for canonical, names in aliases.items():
        for alias in names:
            lookup[normalize_name(alias)] = canonical
    return lookup


def match_header(cells: Iterable[object], lookup: Mapping[str, str]) -> dict[int, str]:
    """Positions of header cells that name a canonical column (first match wins)."""
    matched: dict[int, str] = {}
    seen: set[str] = set()
    for position, cell in enumerate(cells):
        canonical = lookup.get(normalize_name(cell)) if cell is not None else None
        if canonical is not None and canonical not in seen:
            matched[position] = canonical
            seen.add(canonical)
    return matched


def map_distinct(values: pd.Series, function: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`function(values)`, computed once per distinct value and spread back over the rows.

    Exports repeat the same registrations, spellings, days and hour values across
    hundreds of thousands of rows, and per-row text parsing is the slow part of cleaning.
    """
    # As text first: 1 and 1.0 hash alike but are different cells.
    codes, distinct = pd.factorize(values.astype("string"), use_na_sentinel=False)
    parsed = function(pd.Series(distinct, dtype="string"))
    spread = parsed.iloc[codes]
    spread.index = values.index
    spread.name = values.name  # an unnamed Series stays unnamed
    return spread


def registration_key(values: pd.Series) -> pd.Series:
    """'PR-AXA', 'PRAXA' and ' pr-axa' are one aircraft: uppercase alphanumerics only."""
    return map_distinct(values, lambda v: v.astype("string").str.upper().str.replace(r"[^0-9A-Z]", "", regex=True))


def fleet_key(name: str) -> str:
    """An aircraft type as utilization's aircraft_type column holds it once cleaned, and as data.fleets is
    matched against it: trimmed, upper case ("e190 " -> "E190")."""
    return name.strip().upper()


def source_lookup(sources: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Map every spelling (case and accents ignored) to its canonical source."""
    return {_vocabulary_key(v): canonical for canonical, spellings in sources.items() for v in spellings}


def canonical_source(values: pd.Series, sources: Mapping[str, Iterable[str]]) -> pd.Series:
    """Canonical source per row; <NA> where the spelling is unknown."""
    lookup = source_lookup(sources)
    return map_distinct(
        values, lambda v: v.astype("string").map(_vocabulary_key, na_action="ignore").map(lookup).astype("string")
    )


def _vocabulary_key(value: str) -> str:
    text = unicodedata.normalize("NFKD", str(value).strip().upper())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text)
