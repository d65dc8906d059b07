"""Reading files: encodings, separators, footers, row numbers, finding files by name."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from revdesk.core.errors import InvalidInput
from revdesk.ingest.read import find_files, open_source, read_rows, read_table


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_utf8_with_a_bom_and_semicolons(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", codecs.BOM_UTF8 + "Id;Name\n1;Zoë\n".encode())

    table = read_table(open_source(path))

    assert table.columns == ["Id", "Name"]
    assert table.frame.select("_row", "Name").rows() == [(2, "Zoë")]
    assert table.problems.is_empty()


def test_windows_1252_is_read_with_a_warning(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "Id,Name\n1,Caf\xe9\n".encode("cp1252"))

    table = read_table(open_source(path))

    assert table.frame["Name"].to_list() == ["Café"]
    assert table.problems["reason"].to_list() == ["not UTF-8: read as Windows-1252"]


def test_utf16_with_a_bom(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "Id\tName\n1\tZoë\n".encode("utf-16"))

    assert read_table(open_source(path)).frame["Name"].to_list() == ["Zoë"]


def test_utf8_mixed_with_other_bytes_is_refused_with_the_row(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", b"Id,Name\n1,Caf\xc3\xa9\n2,Caf\xe9\n")

    with pytest.raises(InvalidInput, match=r"a.csv row 3: wrong encoding"):
        open_source(path)


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", b"Id,Name\n1,\x00\x01\x02\n")

    with pytest.raises(InvalidInput, match="not a text file"):
        open_source(path)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        read_table(open_source(_write(tmp_path / "a.csv", b"")))


def test_a_report_footer_is_dropped_and_reported(tmp_path: Path) -> None:
    text = 'A,B\n1,2\n3,4\n\n"Report"\n"Copyright (c) salesforce.com"\n'
    table = read_table(open_source(_write(tmp_path / "a.csv", text.encode())))

    assert table.frame.select("_row", "A").rows() == [(2, "1"), (3, "3")]
    assert table.problems["reason"].to_list() == ["report footer ignored"]


def test_files_are_found_by_name_without_regard_to_case(tmp_path: Path) -> None:
    for name in ("OPPORTUNITY.csv", "account.CSV", "notes.txt", "readme.md"):
        _write(tmp_path / name, b"Id\n1\n")

    found = find_files(tmp_path, {"Opportunity": {"opportunity"}, "Account": {"account"}})

    assert {k: p.name for k, p in found.items()} == {
        "Opportunity": "OPPORTUNITY.csv",
        "Account": "account.CSV",
    }


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a readable folder"):
        find_files(tmp_path / "nope", {})


def test_original_rows_are_read_back_by_number(tmp_path: Path) -> None:
    source = open_source(_write(tmp_path / "a.csv", b"Id,Name\n1,a\n2,b\n3,c\n"))

    assert read_rows(source, [3, 4]) == {3: {"Id": "2", "Name": "b"}, 4: {"Id": "3", "Name": "c"}}
