import pickle
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from hhforecast.core import paths
from hhforecast.core.errors import ContractError
from hhforecast.dataprep import ingest
from tests.helpers import EVENTS_HEADER, event_rows, project_copy, run_stage, write_raw, write_workbook

INGEST_OUTPUTS = [paths.EVENTS_RAW, paths.UTILIZATION_RAW, paths.INGEST_REPORT]


def test_workbook_header_below_title_rows_and_total_row_skipped(tmp_path, params):
    path = write_workbook(
        tmp_path / "e.xlsx",
        [
            ["Relatório de Defeitos"],
            [],
            ["Nº Defeito", "Ação", "Matrícula", "Fonte", "Data Abertura", "Homem-Hora", "Descrição"],
            ["D1", 1, "PR-AXA", "Piloto", "02/01/2019 10:30", "01:30", "leak"],
            [],
            ["D2", 2.0, "pr-axa", "PIREP", "03/01/2019 11:00", 2.5, None],
            [None, None, None, None, None, 4.0, "TOTAL"],
        ],
    )
    frame, report = ingest.read_workbook(path, params.contract, params.ingest, "e.xlsx", "events")
    assert frame[["row", "event_id", "action_id", "hh"]].values.tolist() == [
        [4, "D1", "1.0", "01:30"],
        [6, "D2", "2.0", "2.5"],
    ]
    assert (report.total_rows_skipped, report.blank_rows_skipped) == (1, 1)
    assert report.columns["event_id"] == "Nº Defeito"


@pytest.mark.parametrize(
    "encoding, bom, delimiter, decimal",
    [
        ("utf-8", b"", ",", "9.4"),
        ("utf-8", b"\xef\xbb\xbf", ";", "9,4"),
        ("cp1252", b"", ";", "9,4"),
        ("utf-8", b"", "\t", "09:24"),
    ],
)
def test_csv_encodings_and_delimiters_are_detected(tmp_path, params, encoding, bom, delimiter, decimal):
    text = delimiter.join(["Data", "Matrícula", "Horas de Voo", "Ciclos", "Data de Fabricação"]) + "\n"
    text += delimiter.join(["02/01/2019", "PR-AXA", decimal, "7", "01/05/2010"]) + "\n"
    path = tmp_path / "u.csv"
    path.write_bytes(bom + text.encode(encoding))
    frame, report = ingest.read_delimited(path, params.contract, "u.csv", "utilization")
    assert frame[["row", "date", "flight_hours"]].values.tolist() == [[2, "02/01/2019", decimal]]
    assert report.delimiter == delimiter


def test_contract_error_survives_a_process_boundary():
    error = pickle.loads(pickle.dumps(ContractError("bad", file="f.xlsx", sheet="S", row=3, column="hh")))
    assert (str(error), error.row, error.column) == ("f.xlsx, sheet 'S', row 3, column 'hh': bad", 3, "hh")


def test_ingest_stage_reads_a_valid_folder(tmp_path):
    work = project_copy(tmp_path, write_raw(tmp_path / "raw"))
    result = run_stage(work, "ingest")
    assert result.returncode == 0, result.stderr
    events = pd.read_parquet(work / paths.EVENTS_RAW)
    assert events["file"].unique().tolist() == ["events_unscheduled/events_2020.xlsx"]
    assert events["row"].tolist() == [2, 3, 4]


def _bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * 20_000_000 + b"/>")


def _corrupt(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "not xml at all")
        archive.writestr("xl/workbook.xml", "<workbook><sheets>")


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _not_a_zip(path: Path) -> None:
    path.write_text("WO Defect No;Registration\nD1;PR-AXA\n", encoding="utf-8")


def _missing_hh(path: Path) -> None:
    write_workbook(path, [EVENTS_HEADER[:-1], *[row[:-1] for row in event_rows()]])


@pytest.mark.parametrize(
    "damage, message",
    [
        (_corrupt, r"events_2020\.xlsx: cannot read workbook"),
        (_truncate, r"events_2020\.xlsx: not a readable \.xlsx workbook \(corrupt, truncated"),
        (_not_a_zip, r"events_2020\.xlsx: not a readable \.xlsx workbook"),
        (_bomb, r"events_2020\.xlsx: member 'xl/worksheets/sheet1\.xml' inflates \d+:1.*compression bomb"),
        (_missing_hh, r"events_2020\.xlsx, sheet 'Defects', row 1: header \(row 1\) lacks required column\(s\) 'hh'"),
    ],
    ids=["corrupt", "truncated", "not-a-zip", "compression-bomb", "missing-column"],
)
def test_bad_workbook_fails_naming_the_file_and_writes_nothing(tmp_path, damage, message):
    raw = write_raw(tmp_path / "raw")
    damage(raw / "events_unscheduled" / "events_2020.xlsx")
    work = project_copy(tmp_path, raw)
    result = run_stage(work, "ingest")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith("ingest: error: events_unscheduled/"), result.stderr
    assert re.search(message, errors[0]), errors[0]
    assert not any((work / p).exists() for p in INGEST_OUTPUTS)


def test_csv_in_an_unknown_encoding_fails_naming_the_file(tmp_path):
    raw = write_raw(tmp_path / "raw")
    csv_path = raw / "aircraft_utilization" / "utilization_2020.csv"
    csv_path.write_bytes(csv_path.read_text(encoding="utf-8").encode("utf-16"))
    work = project_copy(tmp_path, raw)
    result = run_stage(work, "ingest")
    assert result.returncode == 1
    assert "error: aircraft_utilization/utilization_2020.csv: unknown encoding" in result.stderr
    assert not any((work / p).exists() for p in INGEST_OUTPUTS)


def test_empty_raw_folder_fails_naming_the_folder(tmp_path):
    (tmp_path / "raw" / "events_unscheduled").mkdir(parents=True)
    work = project_copy(tmp_path, tmp_path / "raw")
    result = run_stage(work, "ingest")
    assert result.returncode == 1
    assert f"error: {tmp_path / 'raw'}: no workbook or CSV found under events_unscheduled/" in result.stderr
    assert not any((work / p).exists() for p in INGEST_OUTPUTS)


def test_unparseable_utilization_date_fails_naming_file_row_and_column(tmp_path):
    lines = [
        "2020-01-06,PR-AXA,9.5,7,2012-05-01",
        "2020-01-07,PR-AXA,9.5,7,2012-05-01",
        "07/13/2020,PR-AXA,9.5,7,2012-05-01",
    ]
    work = project_copy(tmp_path, write_raw(tmp_path / "raw", utilization=lines))
    assert run_stage(work, "ingest").returncode == 0
    result = run_stage(work, "clean")
    assert result.returncode == 1
    assert (
        "clean: error: aircraft_utilization/utilization_2020.csv, row 4, column 'date': "
        "unparseable date (expected dd/mm/yyyy, ISO or an Excel date): '07/13/2020'"
    ) in result.stderr
    assert not any((work / p).exists() for p in [paths.EVENTS_CLEAN, paths.UTILIZATION_CLEAN, paths.REJECTS])


def write_ods(path: Path, rows: list[list[object]], sheet: str = "Defects") -> Path:
    """A minimal OpenDocument spreadsheet, written by hand (strings, numbers and dates)."""

    def cell(value: object) -> str:
        if isinstance(value, (int, float)):
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
        if hasattr(value, "isoformat"):
            return (
                f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    body = "".join(f"<table:table-row>{''.join(cell(v) for v in row)}</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{sheet}">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def test_an_ods_export_is_read_like_an_xlsx(tmp_path, params):
    path = write_ods(tmp_path / "events_unscheduled" / "events_2021.ods", [EVENTS_HEADER, *event_rows(2)])
    frame, report, _ = ingest.read_file(
        ingest.FileTask(path, "events_unscheduled/events_2021.ods", "events"), params.contract, params.ingest
    )
    assert frame["event_id"].tolist() == ["D0", "D1"] and frame["row"].tolist() == [2, 3]
    assert frame["hh"].tolist() == ["1.5", "1.5"] and frame["raised_at"].iloc[0].startswith("2020-02-03")
    assert report.sheets == ("Defects",)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("events_2021.pdf", b"%PDF-1.4", r"events_unscheduled/events_2021\.pdf: not a format ingest reads"),
        ("~$events_2020.xlsx", b"lock", r"events_unscheduled/~\$events_2020\.xlsx: an Office lock file"),
        (
            "events_2021.xls",
            b"WO Defect No;Registration\n",
            r"events_unscheduled/events_2021\.xls: not a readable \.xls workbook",
        ),
        ("events_2021.xlsb", b"not a zip", r"events_unscheduled/events_2021\.xlsb: not a readable \.xlsb workbook"),
        ("events_2021.ods", b"not a zip", r"events_unscheduled/events_2021\.ods: not a readable \.ods workbook"),
    ],
    ids=["pdf", "lock-file", "fake-xls", "fake-xlsb", "fake-ods"],
)
def test_every_file_is_read_or_refused_by_name(tmp_path, name, content, message):
    raw = write_raw(tmp_path / "raw")
    (raw / "events_unscheduled" / name).write_bytes(content)
    work = project_copy(tmp_path, raw)
    result = run_stage(work, "ingest")
    assert result.returncode == 1
    assert re.search(r"ingest: error: " + message, result.stderr), result.stderr
    assert not any((work / p).exists() for p in INGEST_OUTPUTS)


def test_refusals_name_every_unreadable_file_at_once(tmp_path):
    raw = write_raw(tmp_path / "raw")
    for name in ("a.pdf", "b.docx"):
        (raw / "aircraft_utilization" / name).write_text("x")
    with pytest.raises(
        ContractError,
        match=r"^aircraft_utilization/a\.pdf: .*\(1 more file\(s\) refused: "
        r"aircraft_utilization/b\.docx\)",
    ):
        ingest.discover(raw)
