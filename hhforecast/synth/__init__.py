"""The synthetic world: a seeded airline whose raw exports follow the data contract, mess included.

Real exports are proprietary, so this package builds a fleet, its daily utilization and its
unscheduled defects from the `synthetic` params, writes them the way airline systems do
(yearly overlapping exports, two languages, title and total rows, several spellings of every
value, a known number of invalid rows) and writes the truth an evaluation needs: the weekly
features, the realized HH a correct pipeline must reproduce exactly, and the expected HH.

`build_world` is pure (all randomness from `np.random.default_rng(params.seed)`);
`write_world` only renders, with its own generator seeded from the same seed, so the same
params give byte-identical files.

The parts, each importing only those before it:
  truthdist  the HH unit and the exact distribution of a compound-Poisson week (what evaluation scores against)
  defects  the per-defect HH law, drawn and exact (the truth's expected HH and quantiles)
  layout   the exports' shape: yearly windows and overlaps, each year's headers and styles
  world    the simulation: fleet, flying, defect rate, events, invalid rows, truth, planted counts
  export   the raw files with their mess, and the truth files beside them

May import: core, dataprep.
"""

from hhforecast.synth.defects import (
    KEPT_SOURCES,
    action_weights,
    defect_law,
    defect_units_pmf,
    draw_defect_hh_units,
    expected_hh_per_defect,
    kept_share,
    weekly_hh_pmf,
    with_quantiles,
)
from hhforecast.synth.export import (
    COLUMN_LETTERS,
    FIXED_TIMESTAMP,
    JUNK_FIELD,
    SOURCE_SPELLINGS,
    XLSX_TIMESTAMP,
    write_world,
)
from hhforecast.synth.layout import (
    EVENT_DATE_STYLES,
    EVENT_HEADERS,
    EVENT_SHEETS,
    EVENT_TITLE_ROWS,
    EVENT_TITLES,
    EVENT_TOTAL_LABEL,
    UTILIZATION_STYLES,
    UTILIZATION_TAB_FILE_INDEX,
    event_layout,
    utilization_style,
)
from hhforecast.synth.truthdist import HH_UNITS_PER_HOUR
from hhforecast.synth.world import (
    CLOSE_MINUTES,
    COLLAPSE_DROP_DAYS,
    DESCRIPTIONS,
    FH_NOISE_SIGMA,
    FH_UNITS_PER_HOUR,
    IDLE_PROBABILITY,
    INVALID_REASONS,
    MAX_FH_PER_DAY,
    SOURCES,
    TRUTH_WINDOW_WEEKS,
    UNKNOWN_SOURCES,
    UNPARSEABLE_DATES,
    UNPARSEABLE_HH,
    WEEKDAY_FACTOR,
    World,
    aging_multiplier,
    build_world,
    collapse_factor,
    seasonality,
)

__all__ = [
    "CLOSE_MINUTES",
    "COLLAPSE_DROP_DAYS",
    "COLUMN_LETTERS",
    "DESCRIPTIONS",
    "EVENT_DATE_STYLES",
    "EVENT_HEADERS",
    "EVENT_SHEETS",
    "EVENT_TITLES",
    "EVENT_TITLE_ROWS",
    "EVENT_TOTAL_LABEL",
    "FH_NOISE_SIGMA",
    "FH_UNITS_PER_HOUR",
    "FIXED_TIMESTAMP",
    "HH_UNITS_PER_HOUR",
    "IDLE_PROBABILITY",
    "INVALID_REASONS",
    "JUNK_FIELD",
    "KEPT_SOURCES",
    "MAX_FH_PER_DAY",
    "SOURCES",
    "SOURCE_SPELLINGS",
    "TRUTH_WINDOW_WEEKS",
    "UNKNOWN_SOURCES",
    "UNPARSEABLE_DATES",
    "UNPARSEABLE_HH",
    "UTILIZATION_STYLES",
    "UTILIZATION_TAB_FILE_INDEX",
    "WEEKDAY_FACTOR",
    "XLSX_TIMESTAMP",
    "World",
    "action_weights",
    "aging_multiplier",
    "build_world",
    "collapse_factor",
    "defect_law",
    "defect_units_pmf",
    "draw_defect_hh_units",
    "event_layout",
    "expected_hh_per_defect",
    "kept_share",
    "seasonality",
    "utilization_style",
    "weekly_hh_pmf",
    "with_quantiles",
    "write_world",
]
