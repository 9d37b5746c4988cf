"""The exports' shape: which days each yearly file holds and how each year's file looks.

The world needs it too, not only the writers: the planted counts (duplicates in the overlaps,
invalid rows on days one workbook holds, TOTAL rows) follow from the same windows and layouts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from hhforecast.core.config import SyntheticParams

# Event workbook headers, (canonical, header) in column order. `description` is an extra
# column no alias names: real exports carry columns the contract does not need.
EVENT_HEADERS: dict[str, tuple[tuple[tuple[str, str], ...], ...]] = {
    "en": (
        (
            ("event_id", "WO Defect No"),
            ("action_id", "Action"),
            ("registration", "Registration"),
            ("source", "Defect Type"),
            ("raised_at", "Date Raised"),
            ("closed_at", "Date Closed"),
            ("hh", "HH Actual"),
            ("ata", "ATA Chapter"),
            ("description", "Description"),
        ),
        (
            ("event_id", "Work Order"),
            ("action_id", "Action No"),
            ("registration", "Tail"),
            ("source", "Source"),
            ("raised_at", "Reported Date"),
            ("closed_at", "Resolved Date"),
            ("hh", "Man Hours"),
            ("ata", "ATA"),
            ("description", "Description"),
        ),
    ),
    "pt": (
        (
            ("event_id", "Nº Defeito"),
            ("action_id", "Ação"),
            ("registration", "Matrícula"),
            ("source", "Fonte"),
            ("raised_at", "Data Abertura"),
            ("closed_at", "Data Fechamento"),
            ("hh", "Homem-Hora"),
            ("ata", "Capítulo ATA"),
            ("description", "Descrição"),
        ),
        (
            ("raised_at", "Data"),
            ("registration", "Matrícula"),
            ("event_id", "Número Defeito"),
            ("action_id", "Item"),
            ("source", "Origem"),
            ("hh", "HH"),
            ("closed_at", "Data Fechamento"),
            ("ata", "Capítulo ATA"),
            ("description", "Descrição"),
        ),
    ),
}
EVENT_TITLES = {
    "en": ("Unscheduled Defects Report", "Period: {lo:%d/%m/%Y} - {hi:%d/%m/%Y}"),
    "pt": ("Relatório de Defeitos Não Programados", "Período: {lo:%d/%m/%Y} a {hi:%d/%m/%Y}"),
}
EVENT_SHEETS = {"en": "Defects", "pt": "Defeitos"}
EVENT_TOTAL_LABEL = {"en": "TOTAL", "pt": "TOTAL GERAL"}
EVENT_DATE_STYLES = ("excel", "dmy", "iso")  # by year: real datetime cells or two string forms
EVENT_TITLE_ROWS = (0, 3, 1, 2)  # by year: rows above the header

# Utilization CSV styles: (header, delimiter, encoding, line ending).
UTILIZATION_STYLES: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "pt": (("Data", "Matrícula", "Horas de Voo", "Ciclos", "Data de Fabricação", "Tipo"), ";", "cp1252", "\r\n"),
    "en": (
        ("Date", "Registration", "Flight Hours", "Cycles", "Manufacture Date", "Aircraft Type"),
        ",",
        "utf-8-sig",
        "\n",
    ),
    "tab": (("dia", "tail", "fh", "fc", "mfg_date", "equipamento"), "\t", "utf-8", "\n"),
}
UTILIZATION_TAB_FILE_INDEX = 2  # the third yearly file is the odd one out


@dataclass(frozen=True)
class Window:
    """One yearly export: the file's year and its inclusive day-index range."""

    year: int
    lo: int
    hi: int


def yearly_windows(first_day: int, last_day: int, params: SyntheticParams) -> list[Window]:
    """Yearly exports: file Y holds [Jan 1 Y, Dec 31 Y + overlap_days], clipped to the data."""
    start = params.start
    first_year = (start + dt.timedelta(days=first_day)).year
    last_year = (start + dt.timedelta(days=last_day)).year
    windows = []
    for year in range(first_year, last_year + 1):
        lo = (dt.date(year, 1, 1) - start).days
        hi = (dt.date(year, 12, 31) - start).days + params.overlap_days
        windows.append(Window(year, max(lo, first_day), min(hi, last_day)))
    return windows


def coverage(windows: list[Window], n_days: int) -> np.ndarray:
    """How many exports hold each day."""
    cover = np.zeros(n_days, dtype=np.int64)
    for w in windows:
        cover[w.lo : w.hi + 1] += 1
    return cover


def event_windows(params: SyntheticParams) -> list[Window]:
    """The defect workbooks' windows: events are exported from week `events_lag_weeks` on."""
    return yearly_windows(params.events_lag_weeks * 7, params.weeks * 7 - 1, params)


def utilization_windows(params: SyntheticParams) -> list[Window]:
    """The utilization files' windows: every simulated day."""
    return yearly_windows(0, params.weeks * 7 - 1, params)


def event_layout(year: int) -> dict[str, Any]:
    """How the workbook of `year` looks: language, header variant, date style, title and total rows."""
    language = "en" if year % 2 == 0 else "pt"
    variants = EVENT_HEADERS[language]
    return {
        "language": language,
        "header": variants[(year // 2) % len(variants)],
        "date_style": EVENT_DATE_STYLES[year % len(EVENT_DATE_STYLES)],
        "title_rows": EVENT_TITLE_ROWS[year % len(EVENT_TITLE_ROWS)],
        "total_row": year % 2 == 1,
    }


def utilization_style(index: int, year: int) -> str:
    """Even years Portuguese cp1252 ';', odd years English UTF-8 BOM ',', the third file tabbed."""
    if index == UTILIZATION_TAB_FILE_INDEX:
        return "tab"
    return "pt" if year % 2 == 0 else "en"
