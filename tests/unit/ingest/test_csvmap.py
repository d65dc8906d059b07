"""CSV with a mapping file: the mapping's validation and what the file becomes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from revdesk.core.errors import InvalidInput
from revdesk.ingest.csvmap import extract_csv, load_mapping
from revdesk.ingest.model import findings

CSV = Path(__file__).parents[2] / "data" / "ingest" / "csv"


def test_columns_value_maps_defaults_prefix_and_extra() -> None:
    extract = extract_csv(CSV / "deals.csv", load_mapping(CSV / "deals.yaml"))

    deal = extract.frames["opportunities"].row(0, named=True)
    assert deal["external_id"] == "pd:D-1"
    assert (deal["stage"], deal["amount"], deal["currency"]) == (
        "Closed Won",
        Decimal("1234.5"),
        "EUR",
    )
    assert str(deal["close_date"]) == "2024-02-03"
    assert deal["extra"] == '{"label":"hot"}'
    assert extract.frames["opportunities"]["currency"].to_list() == ["EUR", "EUR", "XXX"]
    assert extract.source == "pipedrive"


def test_bad_values_are_errors_with_file_row_column_and_value() -> None:
    extract = extract_csv(CSV / "deals.csv", load_mapping(CSV / "deals.yaml"))

    errors = {
        (f.column, f.reason): f.examples
        for f in findings(extract.problems)
        if f.severity == "error"
    }
    assert errors == {
        ("Value", "negative amount"): [{"row": 4, "value": "-5"}],
        ("Expected close", "not a valid close_date"): [{"row": 4, "value": "31.02.2024"}],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("object: deals\ncolumns: {external_id: A}\n", "object: Input should be"),
        ("object: accounts\ncolumns: {name: A}\n", "external_id is required"),
        ("object: accounts\ncolumns: {external_id: A, colour: B}\n", "colour is not a field"),
        ("object: accounts\ncolumns: [external_id\n", "not valid YAML: line"),
        ("- just a list\n", "must be a YAML mapping"),
        ("object: accounts\ncolumns: {external_id: A}\nsurprise: 1\n", "surprise: Extra inputs"),
    ],
)
def test_a_bad_mapping_is_refused_saying_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(text)

    with pytest.raises(InvalidInput, match=message):
        load_mapping(path)


def test_mapped_columns_missing_from_the_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("object: accounts\ncolumns: {external_id: Id, name: Company}\n")
    (tmp_path / "a.csv").write_text("Id,Name\n1,Acme\n")

    with pytest.raises(InvalidInput, match=r'column\(s\) \["Company"\]'):
        extract_csv(tmp_path / "a.csv", load_mapping(path))


def test_history_rows_are_read_as_their_field_requires(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text(
        'Deal,What,From,To,When\nD1,Amount,"1,000",1200,2024-01-05\nD1,Close Date,,2024-02-01,'
        "2024-01-06\nD1,Amount,x,1,2024-01-07\n"
    )
    (tmp_path / "m.yaml").write_text(
        "object: history\ncolumns: {opportunity: Deal, field: What, old_value: From, "
        "new_value: To, changed_at: When}\n"
    )
    extract = extract_csv(tmp_path / "h.csv", load_mapping(tmp_path / "m.yaml"))

    frame = extract.frames["history"]
    assert frame.select("field", "old_value", "new_value").rows()[:2] == [
        ("amount", "1000.0000", "1200.0000"),
        ("close_date", None, "2024-02-01"),
    ]
    bad = extract.problems.filter(pl.col("severity") == "error")
    assert bad.select("row", "column", "value").rows() == [(4, "From", "x")]
