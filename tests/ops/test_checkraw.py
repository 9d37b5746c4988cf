"""hh check-raw: every problem at once, and the onboarding path for exports with new headers."""

import json

import pytest
import yaml

from hhforecast.core import config
from hhforecast.ops import checkraw
from tests.helpers import EVENTS_HEADER, event_rows, hh, project_copy, run_stage, utilization_lines, write_raw


def test_reports_every_problem_of_a_folder_at_once(tmp_path, params):
    rows = event_rows(6)
    rows[1][3] = "GROUND"
    rows[2][3] = "ground"
    rows[3][5] = "1h30"
    rows[4][4] = "31/02/2020"
    lines = utilization_lines(35)
    lines[10] = lines[10].replace("9.5", "nine")
    raw = write_raw(tmp_path / "raw", events=rows, utilization=lines)
    result = checkraw.check_folder(raw, params)
    events, utilization = result["files"]
    found = {(p["kind"], p["rows"], tuple(p["first_rows"])) for p in events["problems"]}
    assert found == {("unknown_source", 2, (3, 4)), ("unparseable_hh", 1, (5,)), ("unparseable_date", 1, (6,))}
    assert "'GROUND' x1" in next(p["detail"] for p in events["problems"] if p["kind"] == "unknown_source")
    assert {c["canonical"]: c["header"] for c in events["columns"]}["event_id"] == "WO Defect No"
    assert [(p["kind"], p["first_rows"], p["fatal"]) for p in utilization["problems"]] == [
        ("unparseable_hours", [12], True)
    ]
    assert result["verdict"] == "fail"
    assert any("unparseable_hours in 'flight_hours', first rows [12]" in p for p in result["problems"])


def test_gaps_between_utilization_files_fail_the_check(tmp_path, params):
    raw = write_raw(tmp_path / "raw")
    later = raw / "aircraft_utilization" / "utilization_2021.csv"
    later.write_text("Date,Registration,Flight Hours,Cycles,Manufacture Date\n2020-06-01,PR-AXA,9,7,2012-05-01\n")
    result = checkraw.check_folder(raw, params)
    assert result["gaps"]["utilization"] == [
        {"from": "2020-02-10", "to": "2020-05-31", "before": "aircraft_utilization/utilization_2021.csv"}
    ]
    assert result["verdict"] == "fail"


def test_new_export_headers_onboard_through_an_alias_end_to_end(tmp_path):
    header = ["Nr OS", *EVENTS_HEADER[1:]]
    raw = write_raw(tmp_path / "raw", events=event_rows(5), events_header=header)
    work = project_copy(tmp_path, raw)

    first = hh(work, "check-raw")
    assert first.returncode == 1
    assert "headers not matched by any alias: ['Nr OS']" in first.stdout
    assert "lacks required column(s) 'event_id'" in first.stdout

    values = yaml.safe_load((work / "params.yaml").read_text())
    values["contract"]["events"]["aliases"]["event_id"].append("nr_os")
    (work / "params.yaml").write_text(yaml.safe_dump(values, sort_keys=False))
    second = hh(work, "check-raw", "--json")
    assert second.returncode == 0, second.stdout
    report = json.loads(second.stdout)
    assert report["verdict"] == "ok"
    assert {"canonical": "event_id", "header": "Nr OS", "alias": "nr_os"} in report["files"][0]["columns"]

    for stage in ("ingest", "clean", "aggregate", "join"):
        result = run_stage(work, stage)
        assert result.returncode == 0, f"{stage}: {result.stderr}"
    dataset = (work / "data/processed/dataset_uti_vs_hh_semanal.csv").read_text().splitlines()
    assert dataset[1].startswith("2020-02-03,1,") and dataset[1].endswith(",7.500000")
    assert config.load(work / "params.yaml").contract.events.aliases["event_id"][-1] == "nr_os"


def test_an_unreadable_file_fails_the_check_by_name_and_coverage_is_reported(tmp_path, params):
    raw = write_raw(tmp_path / "raw")
    (raw / "events_unscheduled" / "events_2021.xls.bak").write_text("old export")
    result = checkraw.check_folder(raw, params)
    assert result["verdict"] == "fail"
    assert any(
        p.startswith("events_unscheduled/events_2021.xls.bak: not a format ingest reads") for p in result["problems"]
    )
    assert result["coverage"] == {
        "events": {"first": "2020-02-03", "last": "2020-02-05"},
        "utilization": {"first": "2020-01-06", "last": "2020-02-09"},
    }
    assert "events cover 2020-02-03 to 2020-02-05" in checkraw.format_report(result)


def test_check_raw_says_it_has_nothing_to_check_when_the_data_is_a_weekly_dataset(tmp_path):
    work = project_copy(tmp_path, tmp_path / "no-raw", data={"source": "dataset"})
    done = hh(work, "check-raw")
    assert done.returncode == 0
    assert done.stdout.strip() == f"hh check-raw: {checkraw.SKIPPED_FOR_DATASET}"
    assert hh(work, "check-raw", str(tmp_path / "no-raw")).returncode == 1  # a folder named is still checked


def _typed_raw(tmp_path, types: dict[str, str] | None):
    """A raw folder whose utilization carries an aircraft_type per registration (None: no such column)."""
    raw = write_raw(tmp_path / "raw")
    if types is not None:
        lines = ["Date,Registration,Flight Hours,Cycles,Manufacture Date,Aircraft Type"] + [
            f"2020-01-{6 + day:02d},{reg},9.5,7,2012-05-01,{kind}" for day in range(21) for reg, kind in types.items()
        ]
        (raw / "aircraft_utilization" / "utilization_2020.csv").write_text("\n".join(lines) + "\n")
    return raw


@pytest.mark.parametrize(
    ("types", "selected", "held", "problem"),
    [
        ({"PR-AXA": "E190", "PR-AXB": "E195", "PR-AXC": "E195"}, None, {"E190": 1, "E195": 2}, None),
        ({"PR-AXA": "E190"}, ["E190"], {"E190": 1}, None),
        ({"PR-AXA": "E190"}, [" e190"], {"E190": 1}, None),  # matched as clean matches it
        ({"PR-AXA": "E190"}, ["E170"], {"E190": 1}, "data.fleets lists E170, which no utilization row has"),
        ({"PR-AXA": "E190"}, [], {"E190": 1}, "data.fleets is an empty list"),
        ({"PR-AXA": "E190", "PR-AXB": ""}, ["E190"], {"E190": 1}, "but 21 utilization row(s) have no aircraft type"),
        (None, None, {}, None),
        (None, ["E190"], {}, "data.fleets lists ['E190'], but no utilization row has an aircraft type"),
    ],
)
def test_check_raw_names_the_fleets_the_data_holds_and_refuses_a_selection_clean_would_refuse(
    tmp_path, params, types, selected, held, problem
):
    chosen = params.model_copy(update={"data": params.data.model_copy(update={"fleets": selected})})
    result = checkraw.check_folder(_typed_raw(tmp_path, types), chosen)
    assert result["fleets"] == held
    report = checkraw.format_report(result)
    if held:
        assert "fleets in the data: " + ", ".join(f"{f} ({n} aircraft)" for f, n in held.items()) in report
    else:
        assert "no utilization row has an aircraft type, so the data runs as one fleet" in report
    fleet_lines = [p for p in result["problems"] if "data.fleets" in p]
    assert fleet_lines == [] if problem is None else any(problem in p for p in fleet_lines), result["problems"]
