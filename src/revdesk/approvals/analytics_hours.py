"""Business hours between two datetime columns, for the approval analytics.

`windowed(calendar.windows)` is columnar: it takes the calendar's working windows (UTC, in
order, not overlapping) over the span of the data once, then measures each moment as the
working time elapsed since the first window (one as-of join) and subtracts. It agrees with
`BusinessCalendar.business_hours_between` (the overlap of [start, end] with the windows) and
costs one pass over the windows plus two sorted joins, whatever the number of rows.

`per_pair(function)` wraps any scalar `(start, end) -> hours` function and calls it once per
distinct pair: simple, exact, and fine for thousands of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final

import polars as pl

from revdesk.approvals.analytics import BusinessHours

__all__ = ["per_pair", "windowed"]

_UTC: Final = pl.Datetime("us", "UTC")
_MICROS_PER_HOUR: Final = 3_600_000_000
Windows = Callable[[date], Iterable[tuple[datetime, datetime]]]
"""Working windows (begin, end) in UTC, in order, from a local day on."""


def per_pair(between: Callable[[datetime, datetime], Decimal | float]) -> BusinessHours:
    """A columnar `BusinessHours` from a scalar calendar function, run once per distinct pair."""

    def columnar(start: pl.Series, end: pl.Series) -> pl.Series:
        pairs = pl.DataFrame({"start": start, "end": end})
        distinct = pairs.unique().drop_nulls()
        hours = [float(between(s, e)) for s, e in distinct.iter_rows()]
        table = distinct.with_columns(pl.Series("hours", hours, dtype=pl.Float64()))
        joined = pairs.join(table, on=["start", "end"], how="left", maintain_order="left")
        return joined["hours"]

    return columnar


def _window_table(windows: Windows, first: datetime, last: datetime) -> pl.DataFrame:
    """The windows from the day before `first` to `last`, with the working time before each."""
    spans: list[tuple[datetime, datetime]] = []
    for begin, finish in windows(first.date() - timedelta(days=1)):
        if begin > last:
            break
        spans.append((begin, finish))
    table = pl.DataFrame(spans, schema={"begin": _UTC, "finish": _UTC}, orient="row")
    length = (pl.col("finish") - pl.col("begin")).dt.total_microseconds()
    return table.with_columns(length.alias("length")).with_columns(
        (pl.col("length").cum_sum() - pl.col("length")).alias("before")
    )


def _elapsed(moments: pl.Series, table: pl.DataFrame) -> pl.Series:
    """Working microseconds from the first window to each moment (null stays null)."""
    frame = moments.alias("at").to_frame().with_row_index("row")
    placed = (
        frame.drop_nulls("at")
        .sort("at")
        .join_asof(table, left_on="at", right_on="begin", strategy="backward")
        .with_columns(
            (
                pl.col("before")
                + (pl.col("at") - pl.col("begin"))
                .dt.total_microseconds()
                .clip(0, None)
                .clip(None, pl.col("length"))
            )
            .fill_null(0)  # before the first window
            .alias("elapsed")
        )
    )
    return frame.join(placed.select("row", "elapsed"), on="row", how="left").sort("row")["elapsed"]


def windowed(windows: Windows) -> BusinessHours:
    """A columnar `BusinessHours` from a calendar's working windows (`calendar.windows`)."""

    def columnar(start: pl.Series, end: pl.Series) -> pl.Series:
        moments = pl.concat([start, end]).drop_nulls()
        if moments.is_empty():
            return pl.Series("hours", [None] * start.len(), dtype=pl.Float64())
        table = _window_table(windows, moments.min(), moments.max())  # type: ignore[arg-type]
        spent = (_elapsed(end, table) - _elapsed(start, table)).clip(0, None)
        return (spent / _MICROS_PER_HOUR).cast(pl.Float64()).alias("hours")

    return columnar
