"""Reading export files: encoding, separator, header, footers and row numbers.

Every value is read as text; parsing is the sources' job. Row numbers are what a spreadsheet
shows: the header is row 1, so the first record is row 2. The encoding is found by trial:
UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 (reported as a warning). A
file that is none of these, mixes UTF-8 with other bytes, or is not text at all is refused with
the row of the first bad byte. Report exports end in a footer (a blank row, then lines such as
"Copyright (c) ... salesforce.com"); it is dropped and reported.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.ingest.model import Problem, Severity, problem_frame

_CHUNK: Final = 1 << 20
_UTF8_MULTIBYTE: Final = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_SEPARATORS: Final = (",", ";", "\t", "|")
_FOOTER_LINES: Final = 50


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to read, with the encoding and separator it was found to use."""

    path: Path
    encoding: str = "utf-8"
    separator: str = ","

    @property
    def name(self) -> str:
        """The file name as problems show it."""
        return self.path.name


@dataclass(slots=True)
class RawTable:
    """A file's records as text columns plus `_file` and `_row`, and what reading it found."""

    file: SourceFile
    frame: pl.DataFrame
    problems: pl.DataFrame = field(default_factory=problem_frame)

    @property
    def columns(self) -> list[str]:
        """The data columns (without `_file` and `_row`)."""
        return [c for c in self.frame.columns if c not in ("_file", "_row")]


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _bad_encoding(path: Path, line: int, sample: bytes, why: str) -> InvalidInput:
    return InvalidInput(
        f"wrong encoding: {why} (bytes {sample!r}); save the file as UTF-8 or give --encoding",
        where=f"{path.name} row {line}",
    )


def detect_encoding(path: Path) -> str:
    """The file's encoding: utf-8-sig, utf-16, utf-8 or cp1252; anything else is refused."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return _checked_utf8(path, "utf-8-sig")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return _checked_utf8(path, "utf-8")


def _checked_utf8(path: Path, encoding: str) -> str:
    """Stream the file through a UTF-8 decoder; fall back to cp1252 when it is clean of UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if b"\x00" in chunk:
                data = path.read_bytes()
                at = data.index(b"\x00")
                raise _bad_encoding(path, _line_of(data, at), data[at : at + 4], "not a text file")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return _cp1252(path, offset + exc.start)
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return _cp1252(path, offset)
    return encoding


def _cp1252(path: Path, bad: int) -> str:
    """Windows-1252, unless the file also holds valid UTF-8 sequences (then it is mixed)."""
    data = path.read_bytes()
    sample = data[bad : bad + 4]
    if _UTF8_MULTIBYTE.search(data):
        raise _bad_encoding(path, _line_of(data, bad), sample, "UTF-8 mixed with other bytes")
    try:
        data.decode("cp1252")
    except UnicodeDecodeError as exc:
        at = exc.start
        why = "neither UTF-8 nor Windows-1252"
        raise _bad_encoding(path, _line_of(data, at), data[at : at + 4], why) from None
    return "cp1252"


def _separator(header: str) -> str:
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {sep: unquoted.count(sep) for sep in _SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def open_source(path: Path, encoding: str | None = None) -> SourceFile:
    """Find how `path` is encoded and separated (or use the given encoding)."""
    if not path.is_file():
        raise InvalidInput(f"{path} is not a readable file")
    chosen = encoding or detect_encoding(path)
    try:
        with path.open("r", encoding=chosen, newline="") as handle:
            header = handle.readline()
    except (UnicodeDecodeError, LookupError) as exc:
        raise InvalidInput(f"cannot read as {chosen}: {exc}", where=path.name) from None
    return SourceFile(path, chosen, _separator(header))


def _csv_bytes(source: SourceFile) -> Path | io.BytesIO:
    if source.encoding in ("utf-8", "utf-8-sig"):
        return source.path
    text = source.path.read_bytes().decode(source.encoding)
    return io.BytesIO(text.encode("utf-8"))


def read_table(source: SourceFile, keep: Callable[[str], bool] | None = None) -> RawTable:
    """Every record of the file as text, blank rows and a report footer removed.

    With `keep`, only the columns it accepts are read: exports carry dozens the import ignores.
    """
    columns = None
    if keep is not None:
        columns = [h for h in read_header(source) if keep(h)] or None
    try:
        frame = pl.read_csv(
            _csv_bytes(source),
            infer_schema=False,
            separator=source.separator,
            truncate_ragged_lines=True,
            row_index_name="_row",
            row_index_offset=2,
            null_values=[""],
            columns=columns,
        )
    except pl.exceptions.NoDataError:
        raise InvalidInput("the file is empty", where=source.name) from None
    except (pl.exceptions.PolarsError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0]
        raise InvalidInput(f"not a readable CSV file: {reason}", where=source.name) from None
    frame = frame.rename({c: c.strip().lstrip("\ufeff") for c in frame.columns if c != "_row"})
    frame = frame.with_columns(
        pl.lit(source.name).cast(pl.Categorical).alias("_file"), pl.col("_row").cast(pl.Int64)
    )
    table = _without_footer(RawTable(source, frame))
    if source.encoding == "cp1252":
        table.problems = pl.concat([table.problems, _cp1252_note(source)])
    return table


def count_lines(path: Path) -> int:
    """Lines in the file (records plus header, more when values hold line breaks)."""
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK * 8):
            lines += chunk.count(b"\n")
    return lines


def iter_table(
    source: SourceFile, keep: Callable[[str], bool] | None, rows: int
) -> Iterator[RawTable]:
    """The file's records in batches of about `rows`, blank rows removed (UTF-8, no footer).

    The file is read a block of bytes at a time, cut after the last line break outside
    quotes, so only one block and its records are in memory (the file is not mapped either):
    this is how history files of millions of rows are read. Row numbers continue across blocks.
    """
    if source.encoding not in ("utf-8", "utf-8-sig"):
        yield read_table(source, keep)
        return
    headers = read_header(source)
    if not headers:
        raise InvalidInput("the file has no header row", where=source.name)
    wanted = [h for h in headers if keep is None or keep(h)] or headers
    indices = [i for i, h in enumerate(headers) if h in wanted]
    with source.path.open("rb") as handle:
        header = handle.readline().removeprefix(codecs.BOM_UTF8)
        size = rows * max(64, len(header))  # bytes per block: about `rows` rows
        start = 2
        for block in _blocks(handle, size):
            frame = _parse_block(source, header + block, indices, start)
            start += frame.height
            kept = frame.filter(~pl.all_horizontal(pl.col(c).is_null() for c in wanted))
            yield RawTable(source, kept.with_columns(
                pl.lit(source.name).cast(pl.Categorical).alias("_file"),
                pl.col("_row").cast(pl.Int64),
            ))  # fmt: skip


def _blocks(handle: io.BufferedReader, size: int) -> Iterator[bytes]:
    """The rest of the file in blocks of about `size` bytes, each ending at a record's end."""
    carry = b""
    while chunk := handle.read(size):
        data = carry + chunk
        cut = _record_end(data)
        if cut < 0:  # no complete record yet: read on
            carry = data
            continue
        carry = data[cut:]
        yield data[:cut]
    if carry.strip():
        yield carry


def _record_end(data: bytes) -> int:
    """Just past the last line break outside quotes ("" inside quotes counts twice), or -1."""
    end = data.rfind(b"\n")
    while end >= 0:
        if data.count(b'"', 0, end) % 2 == 0:
            return end + 1
        end = data.rfind(b"\n", 0, end)
    return -1


def _parse_block(source: SourceFile, data: bytes, columns: list[int], start: int) -> pl.DataFrame:
    try:
        frame = pl.read_csv(
            data,
            infer_schema=False,
            separator=source.separator,
            truncate_ragged_lines=True,
            row_index_name="_row",
            row_index_offset=start,
            null_values=[""],
            columns=columns,
        )
    except (pl.exceptions.PolarsError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0]
        raise InvalidInput(f"not a readable CSV file: {reason}", where=source.name) from None
    return frame.rename({c: c.strip().lstrip("\ufeff") for c in frame.columns if c != "_row"})


def _cp1252_note(source: SourceFile) -> pl.DataFrame:
    reason = "not UTF-8: read as Windows-1252"
    return problem_frame(
        [Problem("file", source.name, None, None, "cp1252", reason, Severity.WARNING)]
    )


def _without_footer(table: RawTable) -> RawTable:
    """Drop blank rows, and a report footer: a blank row followed only by one-cell rows."""
    columns = table.columns
    if not columns:
        raise InvalidInput("the file has no header row", where=table.file.name)
    frame = table.frame.filter(~pl.all_horizontal(pl.col(c).is_null() for c in columns))
    tail = table.frame.tail(_FOOTER_LINES)
    filled = tail.select(
        pl.sum_horizontal(
            (pl.col(c).str.strip_chars().fill_null("") != "").cast(pl.Int32) for c in columns
        )
    ).to_series()
    real = filled > 1
    last_real = int(real.arg_true().max() or 0) if real.any() else -1  # type: ignore[arg-type]
    after = filled.slice(last_real + 1)
    if len(columns) < 2 or after.is_empty() or after[0] != 0 or real.is_empty():
        return RawTable(table.file, frame, table.problems)
    start = int(tail["_row"][last_real + 1])
    note = Problem(
        "file",
        table.file.name,
        start,
        None,
        f"{after.len()} lines",
        "report footer ignored",
        Severity.WARNING,
    )
    kept = frame.filter(pl.col("_row") < start)
    return RawTable(table.file, kept, pl.concat([table.problems, problem_frame([note])]))


def read_header(source: SourceFile) -> list[str]:
    """The file's column names (without reading its records)."""
    try:
        frame = pl.read_csv(
            _csv_bytes(source), infer_schema=False, separator=source.separator, n_rows=0
        )
    except (pl.exceptions.NoDataError, pl.exceptions.ComputeError, OSError):
        return []
    return [c.strip().lstrip("\ufeff") for c in frame.columns]


def list_csv(folder: Path) -> list[Path]:
    """The CSV (and .txt) files of `folder`, sorted by name."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a readable folder")
    try:
        return sorted(
            p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".txt")
        )
    except OSError as exc:
        raise InvalidInput(f"cannot list {folder}: {exc.strerror}") from None


def find_files(folder: Path, names: Mapping[str, Iterable[str]]) -> dict[str, Path]:
    """Files of `folder` matched case-insensitively by stem: {object: path} for each object."""
    found: dict[str, Path] = {}
    for path in list_csv(folder):
        stem = re.sub(r"[^a-z0-9]", "", path.stem.lower())
        for obj, stems in names.items():
            if stem in stems and obj not in found:
                found[obj] = path
    return found


def read_rows(source: SourceFile, rows: Iterable[int]) -> dict[int, dict[str, str | None]]:
    """The original text of the given rows of a file, by row number (for rejected-row files)."""
    wanted = sorted(set(rows))
    table = read_table(source)
    picked = table.frame.filter(pl.col("_row").is_in(wanted))
    return {row["_row"]: {c: row[c] for c in table.columns} for row in picked.iter_rows(named=True)}
