"""The fiscal calendar: years, quarters and months that start on day 1 of a chosen month.

A fiscal year is named after the calendar year in which it ends (`naming="end"`, the common
convention) or in which it starts (`naming="start"`). With `start_month=1` both namings agree
with the calendar year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

import polars as pl

from revdesk.core.errors import InvalidInput

__all__ = ["FiscalCalendar", "FiscalPeriod", "PeriodKind"]

_MONTHS_IN = {"YEAR": 12, "QUARTER": 3, "MONTH": 1}
_LABEL = re.compile(r"FY(?P<year>\d{4})(?:-Q(?P<quarter>[1-4])|-M(?P<month>0[1-9]|1[0-2]))?")
_LABEL_HELP = "expected FY2027, FY2027-Q1 or FY2027-M01"


class PeriodKind(StrEnum):
    """How long a fiscal period is."""

    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"

    @property
    def months(self) -> int:
        """Return the number of months in a period of this kind."""
        return _MONTHS_IN[self.name]


@dataclass(frozen=True)
class FiscalPeriod:
    """A fiscal year, quarter or month: its name and the inclusive range of days it covers.

    `number` is the quarter (1-4) or month (1-12) within the fiscal year, and 0 for a year.
    Build periods through a FiscalCalendar rather than by hand.

        >>> q1 = FiscalCalendar(start_month=2).quarter(date(2026, 3, 15))
        >>> q1.label, q1.start.isoformat(), q1.end.isoformat(), q1.days
        ('FY2027-Q1', '2026-02-01', '2026-04-30', 89)
    """

    kind: PeriodKind
    fiscal_year: int
    number: int
    start: date
    end: date

    @property
    def label(self) -> str:
        """Return the period's name: "FY2027", "FY2027-Q1" or "FY2027-M01"."""
        year = f"FY{self.fiscal_year:04d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{year}-Q{self.number}"
        if self.kind is PeriodKind.MONTH:
            return f"{year}-M{self.number:02d}"
        return year

    @property
    def days(self) -> int:
        """Return the number of days in the period, both ends included."""
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        """Return True when `day` falls within the period."""
        return self.start <= _day(day) <= self.end

    def __str__(self) -> str:
        return self.label


def _day(value: date) -> date:
    # A datetime is a date too, but comparing one with a date raises; be explicit instead.
    if isinstance(value, datetime):
        raise InvalidInput(f"expected a date, not the datetime {value.isoformat()}")
    return value


def _month_start(months: int) -> date:
    """Return day 1 of the month that is `months` months after January of year 0."""
    year, month = divmod(months, 12)
    try:
        return date(year, month + 1, 1)
    except ValueError:
        raise InvalidInput(f"fiscal period outside the supported years 1-9999 ({year})") from None


def _is_int(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


@dataclass(frozen=True)
class FiscalCalendar:
    """A fiscal calendar whose years start on day 1 of `start_month`.

    >>> fy = FiscalCalendar(start_month=2, naming="end")
    >>> fy.fiscal_year(date(2026, 2, 1)), fy.fiscal_year(date(2027, 1, 31))
    (2027, 2027)
    >>> fy.parse("fy2027-q4").start.isoformat(), fy.week_of_quarter(date(2026, 2, 8))
    ('2026-11-01', 2)
    """

    start_month: int = 2
    naming: Literal["end", "start"] = "end"

    def __post_init__(self) -> None:
        if not _is_int(self.start_month, 1, 12):
            raise InvalidInput(f"fiscal year start month must be 1-12, not {self.start_month!r}")
        if self.naming not in ("end", "start"):
            raise InvalidInput(f"fiscal year naming must be 'end' or 'start', not {self.naming!r}")

    @property
    def _label_offset(self) -> int:
        """Fiscal year label minus the calendar year in which the fiscal year starts."""
        return 1 if self.naming == "end" and self.start_month > 1 else 0

    def fiscal_year(self, d: date) -> int:
        """Return the fiscal year that `d` belongs to."""
        day = _day(d)
        starts_in = day.year if day.month >= self.start_month else day.year - 1
        return starts_in + self._label_offset

    def _month_index(self, day: date) -> int:
        """Return the 0-based month of `day` within its fiscal year."""
        return (day.month - self.start_month) % 12

    def _period(self, kind: PeriodKind, fiscal_year: int, number: int) -> FiscalPeriod:
        position = max(number, 1) - 1  # 0-based, counted in periods of this kind
        first_month = (fiscal_year - self._label_offset) * 12 + self.start_month - 1
        first_month += position * kind.months
        start = _month_start(first_month)
        end = _month_start(first_month + kind.months) - timedelta(days=1)
        return FiscalPeriod(kind, fiscal_year, number, start, end)

    def year_period(self, fiscal_year: int) -> FiscalPeriod:
        """Return the fiscal year named `fiscal_year`."""
        return self._period(PeriodKind.YEAR, fiscal_year, 0)

    def quarter_period(self, fiscal_year: int, quarter: int) -> FiscalPeriod:
        """Return quarter `quarter` (1-4) of fiscal year `fiscal_year`."""
        if not _is_int(quarter, 1, 4):
            raise InvalidInput(f"fiscal quarter must be 1-4, not {quarter!r}")
        return self._period(PeriodKind.QUARTER, fiscal_year, quarter)

    def month_period(self, fiscal_year: int, month: int) -> FiscalPeriod:
        """Return month `month` (1-12, counted from the fiscal year start) of `fiscal_year`."""
        if not _is_int(month, 1, 12):
            raise InvalidInput(f"fiscal month must be 1-12, not {month!r}")
        return self._period(PeriodKind.MONTH, fiscal_year, month)

    def period(self, kind: PeriodKind, d: date) -> FiscalPeriod:
        """Return the fiscal period of `kind` that contains `d`."""
        fiscal_year = self.fiscal_year(d)
        if kind is PeriodKind.YEAR:
            return self.year_period(fiscal_year)
        number = self._month_index(d) // kind.months + 1
        return self._period(kind, fiscal_year, number)

    def year(self, d: date) -> FiscalPeriod:
        """Return the fiscal year containing `d`."""
        return self.period(PeriodKind.YEAR, d)

    def quarter(self, d: date) -> FiscalPeriod:
        """Return the fiscal quarter containing `d`."""
        return self.period(PeriodKind.QUARTER, d)

    def month(self, d: date) -> FiscalPeriod:
        """Return the fiscal month containing `d`."""
        return self.period(PeriodKind.MONTH, d)

    def week_of_quarter(self, d: date) -> int:
        """Return the 1-based week of `d` in its quarter (days 0-6 are week 1; at most 14)."""
        return (d - self.quarter(d).start).days // 7 + 1

    def parse(self, label: str) -> FiscalPeriod:
        """Return the period named by `label`, e.g. "FY2027", "FY2027-Q1" or "FY2027-M03"."""
        found = _LABEL.fullmatch(label.strip().upper()) if isinstance(label, str) else None
        if found is None or int(found["year"]) == 0:
            raise InvalidInput(f"invalid fiscal period {label!r}: {_LABEL_HELP}")
        fiscal_year = int(found["year"])
        if found["quarter"]:
            return self.quarter_period(fiscal_year, int(found["quarter"]))
        if found["month"]:
            return self.month_period(fiscal_year, int(found["month"]))
        return self.year_period(fiscal_year)

    def next(self, period: FiscalPeriod) -> FiscalPeriod:
        """Return the period of the same kind that follows `period`."""
        return self.period(period.kind, period.end + timedelta(days=1))

    def previous(self, period: FiscalPeriod) -> FiscalPeriod:
        """Return the period of the same kind that precedes `period`."""
        return self.period(period.kind, period.start - timedelta(days=1))

    def quarters_between(self, start: date, end: date) -> list[FiscalPeriod]:
        """Return every fiscal quarter overlapping `start`..`end` (inclusive), in order."""
        if _day(start) > _day(end):
            raise InvalidInput(f"start {start.isoformat()} is after end {end.isoformat()}")
        quarters = [self.quarter(start)]
        while quarters[-1].end < end:
            quarters.append(self.next(quarters[-1]))
        return quarters

    def fiscal_year_expr(self, col: str | pl.Expr) -> pl.Expr:
        """Return an Int32 expression: the fiscal year of a Date column (null stays null)."""
        day = pl.col(col) if isinstance(col, str) else col
        year = day.dt.year().cast(pl.Int32)
        before_start = (day.dt.month() < self.start_month).cast(pl.Int32)
        return year - before_start + self._label_offset

    def fiscal_quarter_expr(self, col: str | pl.Expr) -> pl.Expr:
        """Return a String expression: the "FY2027-Q1" label of a Date column (null stays null)."""
        day = pl.col(col) if isinstance(col, str) else col
        # +12 keeps the dividend non-negative, so the result does not hinge on modulo's sign rule.
        month_index = (day.dt.month().cast(pl.Int32) - self.start_month + 12) % 12
        quarter = month_index // 3 + 1
        year = self.fiscal_year_expr(day).cast(pl.String).str.zfill(4)
        return pl.concat_str([pl.lit("FY"), year, pl.lit("-Q"), quarter.cast(pl.String)])
