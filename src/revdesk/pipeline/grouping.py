"""Grouping helpers shared by the pipeline metrics: slices, aggregation, safe ratios."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.core.fiscal import FiscalCalendar

SLICES: Final = ("rep", "team", "segment", "region", "product", "period")
DAY_US: Final = 86_400_000_000
WON, LOST, OPEN = "won", "lost", "open"


def check_slices(by: Sequence[str]) -> list[str]:
    """The slice names, refused with the allowed ones when unknown."""
    unknown = [name for name in by if name not in SLICES]
    if unknown:
        raise InvalidInput(f"cannot slice by {', '.join(unknown)}; use {', '.join(SLICES)}")
    return list(by)


def with_period(
    frame: pl.DataFrame, by: Sequence[str], calendar: FiscalCalendar, period_of: str
) -> tuple[pl.DataFrame, list[str]]:
    """Add the `period` column from `period_of` when asked for, and return the group keys."""
    keys = check_slices(by)
    if "period" in keys:
        frame = frame.with_columns(
            calendar.fiscal_quarter_expr(pl.col(period_of).cast(pl.Date)).alias("period")
        )
    return frame, keys


def aggregate(frame: pl.DataFrame, keys: list[str], *aggs: pl.Expr) -> pl.DataFrame:
    """Group by `keys` (or aggregate the whole frame when there are none), sorted by the keys."""
    if not keys:
        return frame.select(*aggs)
    return frame.group_by(keys).agg(*aggs).sort(keys, nulls_last=True)


def money_sum(condition: pl.Expr | None = None) -> pl.Expr:
    """Sum of amount_base (nulls as zero), optionally over the rows meeting `condition`."""
    amount = pl.col("amount_base").fill_null(0)
    return (amount.filter(condition) if condition is not None else amount).sum()


def ratio(numerator: str, denominator: str) -> pl.Expr:
    """numerator / denominator as a float; null when the denominator is zero."""
    den = pl.col(denominator).cast(pl.Float64)
    return pl.when(den != 0).then(pl.col(numerator).cast(pl.Float64) / den).otherwise(None)
