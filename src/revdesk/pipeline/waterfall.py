"""Pipeline waterfall: how the pipeline closing in a window moved between two moments.

Each deal is classified by comparing its state as of `t0` with its state as of `t1` (both
reconstructed from history). A deal is *in* the pipeline at a moment when it is open and its
close date falls in the window. Then, with amounts in the base currency:

    start + new + pulled_in + increased - decreased - won - lost - pushed_out == end

holds exactly (Decimal): deals in at t0 leave through won, lost or pushed_out at their t1 amount
and their change of amount is counted in increased/decreased; deals that come in enter through
new (created after t0) or pulled_in (existed at t0, outside the window or closed), at their t1
amount; a deal that comes in and closes between the two moments shows in both flows. Both
snapshots must be converted at the same rate day, and slices use the deal's t1 dimensions, so
that every slice reconciles on its own too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Final

import polars as pl

from revdesk.pipeline.grouping import LOST, OPEN, WON, aggregate, check_slices

FLOWS: Final = (
    "start",
    "new",
    "pulled_in",
    "increased",
    "decreased",
    "won",
    "lost",
    "pushed_out",
    "end",
)


def classify(
    before: pl.DataFrame, after: pl.DataFrame, *, t0: datetime, start: date, end: date
) -> pl.DataFrame:
    """Per deal: in0, in1, the entry and exit flow, and the amounts at both moments."""
    window = (start, end)
    s0 = before.select(
        "id",
        ((pl.col("status") == OPEN) & pl.col("close_date").is_between(*window)).alias("in0"),
        pl.col("amount_base").fill_null(0).alias("amount0"),
    )
    closed_between = pl.col("status").is_in([WON, LOST]) & (pl.col("closed_at") > t0)
    frame = after.join(s0, on="id", how="left").with_columns(
        pl.col("in0").fill_null(False),
        pl.col("amount0").fill_null(0),
        pl.col("amount_base").fill_null(0).alias("amount1"),
        ((pl.col("status") == OPEN) & pl.col("close_date").is_between(*window)).alias("in1"),
        (closed_between & pl.col("close_date").is_between(*window)).alias("_closed_in_window"),
    )
    entered = ~pl.col("in0") & (pl.col("in1") | pl.col("_closed_in_window"))
    exited = (pl.col("in0") | entered) & ~pl.col("in1")
    entry = (
        pl.when(entered & (pl.col("created_at") > t0))
        .then(pl.lit("new"))
        .when(entered)
        .then(pl.lit("pulled_in"))
    )
    status = pl.col("status")
    leaving = (
        pl.when(exited & (status == WON))
        .then(pl.lit("won"))
        .when(exited & (status == LOST))
        .then(pl.lit("lost"))
        .when(exited)
        .then(pl.lit("pushed_out"))
    )
    return frame.with_columns(entry.alias("entry"), leaving.alias("exit")).drop("_closed_in_window")


def waterfall(
    before: pl.DataFrame,
    after: pl.DataFrame,
    *,
    t0: datetime,
    start: date,
    end: date,
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """The flows of the window [start, end] between t0 and t1, one row per slice."""
    keys = [k for k in check_slices(by) if k != "period"]
    frame = classify(before, after, t0=t0, start=start, end=end)
    delta = pl.col("amount1") - pl.col("amount0")

    def total(amount: str, condition: pl.Expr) -> pl.Expr:
        return pl.col(amount).filter(condition).sum()

    in0 = pl.col("in0")
    return aggregate(
        frame,
        keys,
        total("amount0", in0).alias("start"),
        total("amount1", pl.col("entry") == "new").alias("new"),
        total("amount1", pl.col("entry") == "pulled_in").alias("pulled_in"),
        delta.filter(in0 & (delta > 0)).sum().alias("increased"),
        (-delta).filter(in0 & (delta < 0)).sum().alias("decreased"),
        total("amount1", pl.col("exit") == "won").alias("won"),
        total("amount1", pl.col("exit") == "lost").alias("lost"),
        total("amount1", pl.col("exit") == "pushed_out").alias("pushed_out"),
        total("amount1", pl.col("in1")).alias("end"),
    )


def reconciles(flows: pl.DataFrame) -> pl.Series:
    """Per row: start + inflows - outflows == end, exactly."""
    c = pl.col
    computed = (
        c("start")
        + c("new")
        + c("pulled_in")
        + c("increased")
        - c("decreased")
        - c("won")
        - c("lost")
        - c("pushed_out")
    )
    return flows.select((computed == c("end")).alias("reconciles"))["reconciles"]
