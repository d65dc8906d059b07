"""Turning one file's text columns into canonical columns, with a problem per bad value.

Sources describe each canonical column once (`conv.date("close_date", "CloseDate")`); the
converter parses the whole column at once and flags every value that was there but did not
parse, with the file, row, column and the original text. Columns the file lacks are skipped,
so the canonical frame holds only what the file provides::

    conv = Converter(table, "opportunities", order=DateOrder.MDY)
    conv.text("name", "Name", required=True)
    conv.decimal("amount", "Amount", negative=False)
    frame, problems = conv.finish()
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.core.money import currency_code
from revdesk.ingest.dates import DateOrder, parse_date, parse_datetime
from revdesk.ingest.model import Severity, concat_problems, flag
from revdesk.ingest.read import RawTable
from revdesk.ingest.values import (
    DecimalMark,
    clean,
    forecast_category,
    parse_bool,
    parse_decimal,
    parse_int,
)


class Converter:
    """Collects canonical columns parsed from one raw table, and the problems found."""

    def __init__(
        self,
        table: RawTable,
        obj: str,
        *,
        order: DateOrder | None = None,
        mark: DecimalMark = ".",
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.table = table
        self.obj = obj
        self.order = order
        self.mark = mark
        self.columns: dict[str, pl.Series] = {}
        self._cleaned: dict[str, pl.Series] = {}
        self.used: set[str] = set()
        self._problems: list[pl.DataFrame] = [table.problems]
        # header as written in the file, by the (lower-cased) name the source asks for
        lookup = {c.lower(): c for c in table.columns}
        for alias, actual in (aliases or {}).items():
            if actual.lower() in lookup:
                lookup.setdefault(alias.lower(), lookup[actual.lower()])
        self._lookup = lookup

    @property
    def height(self) -> int:
        """Rows in the file."""
        return self.table.frame.height

    def header(self, column: str) -> str | None:
        """The file's header for `column` (matched case-insensitively), or None."""
        found = self._lookup.get(column.lower())
        if found is not None:
            self.used.add(found)
        return found

    def report_unused(self) -> None:
        """One warning naming the file's columns that nothing read."""
        unused = [c for c in self.table.columns if c not in self.used]
        if unused:
            first = pl.int_range(0, self.height, eager=True) == 0
            self.check(
                first,
                None,
                "columns not imported",
                severity=Severity.WARNING,
                value=pl.Series([", ".join(unused)] * self.height),
            )

    def has(self, column: str) -> bool:
        """True when the file has `column`."""
        return self.header(column) is not None

    def raw(self, column: str) -> pl.Series:
        """The column's cleaned text (null where blank); all-null when the file lacks it."""
        header = self.header(column)
        if header is None:
            return pl.Series(column, [None] * self.height, dtype=pl.String)
        if header not in self._cleaned:
            self._cleaned[header] = clean(self.table.frame[header])
        return self._cleaned[header].alias(column)

    def origin(self) -> pl.DataFrame:
        """The `_file` and `_row` columns."""
        return self.table.frame.select("_file", "_row")

    def check(
        self,
        mask: pl.Series,
        column: str | None,
        reason: str,
        *,
        value: pl.Series | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        """Report a problem on every row where `mask` is true."""
        if not mask.fill_null(False).any():
            return
        shown = value if value is not None else (self.raw(column) if column else None)
        frame = self.origin().with_columns(
            pl.Series("_mask", mask.fill_null(False)),
            pl.Series("_value", shown if shown is not None else [None] * self.height).cast(
                pl.String
            ),
        )
        header = self.header(column) if column else None
        self._problems.append(
            flag(
                frame,
                pl.col("_mask"),
                object=self.obj,
                column=header or column,
                reason=reason,
                value=pl.col("_value"),
                severity=severity,
            )
        )

    def put(self, target: str, values: pl.Series) -> None:
        """Set a canonical column directly."""
        self.columns[target] = values.alias(target)

    def _parsed(self, target: str, column: str, parsed: pl.Series, reason: str) -> bool:
        raw = self.raw(column)
        self.check(raw.is_not_null() & parsed.is_null(), column, reason)
        self.put(target, parsed)
        return True

    def text(self, target: str, column: str, *, required: bool = False) -> bool:
        """Copy a text column; with `required`, a blank value is an error."""
        if not self.has(column):
            return False
        raw = self.raw(column)
        if required:
            self.check(raw.is_null(), column, "missing value")
        self.put(target, raw)
        return True

    def date(self, target: str, column: str) -> bool:
        """Parse a date column."""
        if not self.has(column):
            return False
        return self._parsed(target, column, parse_date(self.raw(column), self.order), _DATE)

    def datetime(self, target: str, column: str) -> bool:
        """Parse a timestamp column (UTC unless the value carries an offset)."""
        if not self.has(column):
            return False
        parsed = parse_datetime(self.raw(column), self.order)
        return self._parsed(target, column, parsed, _DATE)

    def decimal(
        self, target: str, column: str, *, negative: bool = True, percent: bool = False
    ) -> bool:
        """Parse a number; `negative=False` makes a value below zero an error."""
        if not self.has(column):
            return False
        parsed = parse_decimal(self.raw(column), mark=self.mark)
        self._parsed(target, column, parsed, "unparseable number")
        if not negative:
            self.check(parsed < 0, column, "negative amount")
        if percent:
            self.check((parsed < 0) | (parsed > 100), column, "probability outside 0-100")
        return True

    def integer(self, target: str, column: str) -> bool:
        """Parse a whole number."""
        if not self.has(column):
            return False
        parsed = parse_int(self.raw(column), mark=self.mark)
        return self._parsed(target, column, parsed, "unparseable whole number")

    def boolean(self, target: str, column: str) -> bool:
        """Parse a yes/no column (1/0, TRUE/FALSE, yes/no)."""
        if not self.has(column):
            return False
        return self._parsed(target, column, parse_bool(self.raw(column)), "unparseable yes/no")

    def keep_as_extra(self, columns: list[str]) -> None:
        """Keep `columns` (headers as in the file) as a JSON object of text in `extra`."""
        if not columns:
            return
        ordered = sorted(columns)
        frame = pl.DataFrame({c: clean(self.table.frame[c]) for c in ordered})
        self.put("extra", frame.select(pl.struct(ordered).struct.json_encode()).to_series())

    def finish(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The canonical frame (with `_file`, `_row`) and every problem found."""
        frame = pl.DataFrame(list(self.columns.values())) if self.columns else None
        origin = self.origin()
        result = origin if frame is None else pl.concat([frame, origin], how="horizontal")
        return result, concat_problems(self._problems)


_DATE = "unparseable date"


def currency(
    conv: Converter, target: str, column: str, base: str, *, values: pl.Series | None = None
) -> None:
    """ISO currency codes from `column` (or `values`; blank: `base`); unknown codes are errors."""
    raw = (values if values is not None else conv.raw(column)).str.to_uppercase()
    known = {}
    for code in raw.drop_nulls().unique().to_list():  # distinct codes: a handful
        try:
            known[code] = currency_code(code)
        except InvalidInput:
            continue
    conv.check(raw.is_not_null() & ~raw.is_in(list(known)), column, "unknown currency")
    conv.put(target, raw.replace_strict(known, default=None).fill_null(base))


def without_deleted(table: RawTable, obj: str, column: str = "IsDeleted") -> RawTable:
    """The table without rows flagged deleted (exports that include the recycle bin)."""
    if column not in table.frame.columns:
        return table
    deleted = parse_bool(table.frame[column]).fill_null(False)
    if not deleted.any():
        return table
    frame = table.frame.with_columns(pl.Series("_deleted", deleted))
    note = flag(
        frame,
        pl.col("_deleted"),
        object=obj,
        column=column,
        reason="deleted record skipped",
        severity=Severity.WARNING,
    )
    kept = frame.filter(~pl.col("_deleted")).drop("_deleted")
    return RawTable(table.file, kept, concat_problems([table.problems, note]))


def history_value(
    conv: Converter, field: pl.Series, column: str, owner: Callable[[pl.Series], pl.Series]
) -> pl.Series:
    """One column of field-history values, each parsed as its row's field requires.

    Amounts become text at four decimal places, dates ISO text, forecast categories RevDesk's
    values, owners whatever `owner` makes of them (the user's external id); a value that does
    not fit its field is an error.
    """
    raw = conv.raw(column)
    parsed = (
        pl.DataFrame(
            {
                "f": field,
                "raw": raw,
                "amount": parse_decimal(raw, mark=conv.mark).cast(pl.String),
                "close_date": parse_date(raw, conv.order).cast(pl.String),
                "forecast_category": forecast_category(raw),
                "owner": owner(raw),
            }
        )
        .select(
            pl.when(pl.col("f") == "amount")
            .then(pl.col("amount"))
            .when(pl.col("f") == "close_date")
            .then(pl.col("close_date"))
            .when(pl.col("f") == "forecast_category")
            .then(pl.col("forecast_category"))
            .when(pl.col("f") == "owner")
            .then(pl.col("owner"))
            .otherwise(pl.col("raw"))
        )
        .to_series()
    )
    bad = raw.is_not_null() & parsed.is_null() & field.is_not_null()
    conv.check(bad, column, "value does not fit the field")
    return parsed
