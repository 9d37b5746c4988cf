import pandas as pd
import pytest

from hhforecast.core import contract


@pytest.mark.parametrize(
    "header, normalized",
    [
        ("Nº Defeito", "no_defeito"),
        (" Homem-Hora ", "homem_hora"),
        ("A/C", "a_c"),
        ("Data de Fabricação", "data_de_fabricacao"),
        ("WO  Defect   No.", "wo_defect_no"),
        ("Capítulo ATA", "capitulo_ata"),
        ("__HH__", "hh"),
    ],
)
def test_normalize_name_follows_the_contract(header, normalized):
    assert contract.normalize_name(header) == normalized


@pytest.mark.parametrize("raw", ["PR-AXA", "PRAXA", " pr-axa", "pr axa "])
def test_registration_variants_are_one_aircraft(raw):
    assert contract.registration_key(pd.Series([raw])).iloc[0] == "PRAXA"


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("PILOT", "PILOT"),
        ("piloto", "PILOT"),
        ("Pirep", "PILOT"),
        ("pilot  report", "PILOT"),
        ("Cabine", "CABIN"),
        ("CABIN REPORT", "CABIN"),
        ("Manutenção", "MECH"),
        ("marep", "MECH"),
        ("MX Report", "MECH"),
        ("Authority", "AUTH"),
        ("GROUND", None),
        ("", None),
    ],
)
def test_source_spellings_map_to_canonical_sources(params, raw, canonical):
    result = contract.canonical_source(pd.Series([raw]), params.contract.events.sources).iloc[0]
    assert (None if pd.isna(result) else result) == canonical


def test_header_match_ignores_unknown_columns_and_keeps_the_first_alias(params):
    lookup = contract.alias_lookup(params.contract.events.aliases)
    matched = contract.match_header(["Descrição", "Nº Defeito", "Data", "Date", None, "HH"], lookup)
    assert matched == {1: "event_id", 2: "raised_at", 5: "hh"}


def test_map_distinct_computes_once_per_value_and_keeps_rows_index_and_missing():
    calls = []

    def upper(values: pd.Series) -> pd.Series:
        calls.append(len(values))
        return values.str.upper()

    values = pd.Series(["a", None, "b", "a", 1, 1.0, "b"], index=[10, 11, 12, 13, 14, 15, 16], dtype="object")
    result = contract.map_distinct(values, upper)
    assert calls == [5]  # a, <NA>, b, "1", "1.0": one and one-point-zero are different cells
    assert result.index.tolist() == values.index.tolist()
    assert result.tolist() == ["A", pd.NA, "B", "A", "1", "1.0", "B"]


@pytest.mark.parametrize("name", [None, "hh", 0])
def test_map_distinct_keeps_the_series_name_as_it_was(name):
    # An unnamed Series stays unnamed (not "None"), and a name that is not text stays as it is.
    assert contract.map_distinct(pd.Series(["a", "b"], name=name), lambda v: v.str.upper()).name == name
