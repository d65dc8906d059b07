"""Key figures of a pipeline, to judge whether the demo company looks like a real one.

Pure Polars over three frames read from the database:

- deals: id, segment, type, status (open/won/lost), created_at, closed_at;
- pushes: id, pushes (close-date changes to a later date, per opportunity that had any);
- quotes: id (the opportunity), created_at, list_value, net_value of every primary quote.

Definitions: win rate = won / (won + lost) over closed new-business deals; cycle = days from
creation to close of won new-business deals (median); discount = 1 - net / list of the primary
quote of won deals (mean), also split by whether the quote was made in the last two weeks of
its fiscal quarter; pushed = share of closed deals with at least one push; quarter-end wins =
share of wins closed in the last 14 days of their fiscal quarter. `EXPECTED` holds the ranges
documented in docs/demo-company.md; the tests hold a generated company to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from revdesk.demo.timeline import quarter_end

ALL = "all"
SEGMENT_ORDER: Final = ("smb", "mid_market", "enterprise", ALL)
QUARTER_END_DAYS = 14

EXPECTED: Final[dict[tuple[str, str], tuple[float, float]]] = {
    ("win rate, new business", "smb"): (0.24, 0.38),
    ("win rate, new business", "mid_market"): (0.18, 0.32),
    ("win rate, new business", "enterprise"): (0.12, 0.28),
    ("median cycle days, won new business", "smb"): (25.0, 50.0),
    ("median cycle days, won new business", "mid_market"): (50.0, 100.0),
    ("median cycle days, won new business", "enterprise"): (110.0, 190.0),
    ("average discount, won deals", ALL): (0.05, 0.2),
    ("closed deals pushed at least once", ALL): (0.25, 0.55),
    ("wins in the last two weeks of a quarter", ALL): (0.25, 0.45),
}
"""(figure, segment) -> documented (low, high) range."""


@dataclass(frozen=True)
class KeyFigures:
    """The figures as rows (figure, segment, value, deals behind it, documented low and high)."""

    table: pl.DataFrame

    def value(self, figure: str, segment: str = ALL) -> float:
        """One figure's value."""
        row = self.table.filter(figure=figure, segment=segment)
        return float(row["value"][0])

    def out_of_range(self) -> pl.DataFrame:
        """The rows whose value lies outside the documented range."""
        return self.table.filter(
            pl.col("low").is_not_null()
            & ((pl.col("value") < pl.col("low")) | (pl.col("value") > pl.col("high")))
        )


def _overall(frame: pl.DataFrame, figure: str, value: pl.Expr) -> pl.DataFrame:
    """The aggregate `value` over every row of `frame`."""
    return frame.select(
        pl.lit(figure).alias("figure"),
        pl.lit(ALL).alias("segment"),
        value.cast(pl.Float64).alias("value"),
        pl.len().cast(pl.Int64).alias("deals"),
    )


def _by_segment(frame: pl.DataFrame, figure: str, value: pl.Expr, *, overall: bool) -> pl.DataFrame:
    """The aggregate `value` per segment (and over all rows when `overall`)."""
    per_segment = frame.group_by("segment").agg(
        value.cast(pl.Float64).alias("value"), pl.len().cast(pl.Int64).alias("deals")
    )
    rows = per_segment.select(pl.lit(figure).alias("figure"), "segment", "value", "deals")
    return pl.concat([rows, _overall(frame, figure, value)]) if overall else rows


def at_quarter_end(moments: pl.Series, fiscal_start_month: int) -> pl.Series:
    """Whether each moment falls in the last two weeks of its fiscal quarter."""
    days = moments.dt.date().cast(pl.Int32).cast(pl.Int64).to_numpy()
    last = quarter_end(days, fiscal_start_month)
    return pl.Series(np.asarray(last - days < QUARTER_END_DAYS))


def key_figures(
    deals: pl.DataFrame, pushes: pl.DataFrame, quotes: pl.DataFrame, *, fiscal_start_month: int
) -> KeyFigures:
    """Compute the key figures from the deals, their push counts and their primary quotes."""
    closed = deals.filter(pl.col("status") != "open")
    new = closed.filter(pl.col("type") == "new")
    won = closed.filter(pl.col("status") == "won")
    won = won.with_columns(late=at_quarter_end(won["closed_at"], fiscal_start_month))
    days = (pl.col("closed_at") - pl.col("created_at")).dt.total_seconds() / 86_400
    pushed = closed.join(pushes, on="id", how="left").with_columns(pl.col("pushes").fill_null(0))
    priced = quotes.join(won.select("id", "segment"), on="id")
    priced = priced.with_columns(
        discount=1 - pl.col("net_value") / pl.col("list_value"),
        late=at_quarter_end(priced["created_at"], fiscal_start_month),
    )
    discount = pl.col("discount").mean()
    parts = [
        _by_segment(
            new, "win rate, new business", (pl.col("status") == "won").mean(), overall=True
        ),
        _by_segment(
            new.filter(pl.col("status") == "won"),
            "median cycle days, won new business",
            days.median(),
            overall=False,
        ),
        _by_segment(priced, "average discount, won deals", discount, overall=True),
        _overall(priced.filter("late"), "average discount, quotes in last two weeks", discount),
        _overall(priced.filter(~pl.col("late")), "average discount, other quotes", discount),
        _by_segment(
            pushed, "closed deals pushed at least once", (pl.col("pushes") > 0).mean(), overall=True
        ),
        _by_segment(
            won, "wins in the last two weeks of a quarter", pl.col("late").mean(), overall=True
        ),
    ]
    return KeyFigures(_ordered(pl.concat(parts)))


def _ordered(table: pl.DataFrame) -> pl.DataFrame:
    """Rows in a stable order, with the documented range of each figure."""
    ranges = pl.DataFrame(
        [(f, s, lo, hi) for (f, s), (lo, hi) in EXPECTED.items()],
        schema={"figure": pl.String, "segment": pl.String, "low": pl.Float64, "high": pl.Float64},
        orient="row",
    )
    rank = {s: i for i, s in enumerate(SEGMENT_ORDER)}
    figures = list(dict.fromkeys(table["figure"].to_list()))
    return (
        table.join(ranges, on=["figure", "segment"], how="left")
        .with_columns(
            _f=pl.col("figure").replace_strict({f: i for i, f in enumerate(figures)}),
            _s=pl.col("segment").replace_strict(rank, default=len(rank)),
        )
        .sort("_f", "_s")
        .drop("_f", "_s")
    )
