"""Stage flow over field history: conversion between stages, time in stage, skips and regressions.

Pure and columnar. `stage_path` turns the stage rows of the history (only those known at the
as-of moment) into one row per stay in a stage: when the deal entered it, when it left (null while
it is still there), the stage it came from, and whether the move was a skip or a step back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Final

import polars as pl

from revdesk.core.fiscal import FiscalCalendar
from revdesk.crm.history_scan import ordered
from revdesk.pipeline.grouping import LOST, OPEN, WON, aggregate, ratio, with_period

_DAY_US: Final = 86_400_000_000


def stage_order(stages: pl.DataFrame) -> pl.DataFrame:
    """Stage name, status and its rank: open stages 1..n in order, won n+1, lost null."""
    open_stages = stages.filter(pl.col("status") == OPEN).sort("sort_order")
    ranks = open_stages.select("name", pl.int_range(1, pl.len() + 1).alias("rank"))
    won_rank = open_stages.height + 1
    return (
        stages.select("name", "status")
        .join(ranks, on="name", how="left")
        .with_columns(
            pl.when(pl.col("status") == WON)
            .then(pl.lit(won_rank))
            .otherwise(pl.col("rank"))
            .cast(pl.Int64)
            .alias("rank")
        )
    )


def stage_path(history: pl.DataFrame, stages: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """One row per stay in a stage known at `at`: entered_at, left_at, from_rank, rank, move.

    `history` may be the whole history or only its stage rows (`FieldHistory.rows("stage")`,
    which has no `field` column).
    """
    order = stage_order(stages)
    known = pl.col("changed_at") <= pl.lit(at, dtype=pl.Datetime("us", "UTC"))
    if "field" in history.columns:
        known = known & (pl.col("field") == "stage")
    rows = (
        ordered(history.filter(known).select("id", "opportunity_id", "new_value", "changed_at"))
        .select(
            "opportunity_id",
            pl.col("new_value").alias("stage"),
            pl.col("changed_at").alias("entered_at"),
        )
        .join(order.rename({"name": "stage"}), on="stage", how="left", maintain_order="left")
    )
    # Rows are in time order per deal, so a deal's previous and next stays are the neighbours.
    deal = pl.col("opportunity_id")
    same_next = (deal.shift(-1) == deal).fill_null(value=False)
    same_prev = (deal.shift(1) == deal).fill_null(value=False)
    path = rows.with_columns(
        pl.when(same_next).then(pl.col("entered_at").shift(-1)).alias("left_at"),
        pl.when(same_prev).then(pl.col("rank").shift(1)).alias("from_rank"),
        pl.when(same_prev).then(pl.col("status").shift(1)).alias("from_status"),
    )
    moved_from_open = pl.col("from_status") == OPEN
    skip = (
        moved_from_open & pl.col("rank").is_not_null() & (pl.col("rank") > pl.col("from_rank") + 1)
    )
    back = moved_from_open & (pl.col("status") == OPEN) & (pl.col("rank") < pl.col("from_rank"))
    return path.with_columns(
        pl.when(skip)
        .then(pl.lit("skip"))
        .when(back)
        .then(pl.lit("back"))
        .when(pl.col("from_rank").is_null())
        .then(pl.lit("created"))
        .otherwise(pl.lit("forward"))
        .alias("move")
    )


def stage_conversion(
    deals: pl.DataFrame,
    path: pl.DataFrame,
    stages: pl.DataFrame,
    calendar: FiscalCalendar,
    *,
    start: date,
    end: date,
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Of deals closed in [start, end] that reached each stage: share going on, share won.

    A deal reached a stage when it was ever in it or in a later open stage, or was won: a skipped
    stage counts as passed through. For the last open stage "next" means won.
    """
    closed = deals.filter(
        pl.col("status").is_in([WON, LOST]) & pl.col("close_date").is_between(start, end)
    )
    highest = (
        path.filter(pl.col("status") == OPEN)
        .group_by("opportunity_id")
        .agg(pl.col("rank").max().alias("highest"))
        .rename({"opportunity_id": "id"})
    )
    frame = closed.join(highest, on="id", how="left").with_columns(pl.col("highest").fill_null(0))
    frame, keys = with_period(frame, by, calendar, "close_date")
    order = stage_order(stages).filter(pl.col("status") == OPEN).sort("rank")
    is_won = pl.col("status") == WON
    per_stage = [
        aggregate(
            frame,
            keys,
            ((pl.col("highest") >= rank) | is_won).sum().alias("reached"),
            ((pl.col("highest") >= rank + 1) | is_won).sum().alias("advanced"),
            (is_won).sum().alias("won"),
        ).with_columns(pl.lit(name).alias("stage"), pl.lit(rank).alias("_rank"))
        for name, rank in order.select("name", "rank").iter_rows()
    ]
    if not per_stage:
        return pl.DataFrame()
    result = pl.concat(per_stage).sort([*keys, "_rank"]).drop("_rank")
    return result.with_columns(
        ratio("advanced", "reached").alias("conversion_to_next"),
        ratio("won", "reached").alias("stage_to_win"),
    ).select(*keys, "stage", "reached", "advanced", "won", "conversion_to_next", "stage_to_win")


def time_in_stage(
    deals: pl.DataFrame, path: pl.DataFrame, at: datetime, *, by: Sequence[str] = ()
) -> pl.DataFrame:
    """Days spent in each open stage: completed stays, and the age of deals still in it at `at`."""
    keys = [k for k in by if k != "period"]
    stays = path.filter(pl.col("status") == OPEN).join(
        deals.select(pl.col("id").alias("opportunity_id"), "status", *keys).rename(
            {"status": "deal_status"}
        ),
        on="opportunity_id",
        how="inner",
    )
    left = pl.col("left_at").fill_null(pl.lit(at, dtype=pl.Datetime("us", "UTC")))
    days = ((left - pl.col("entered_at")).dt.total_microseconds() / _DAY_US).alias("days")
    stays = stays.with_columns(days)
    done = pl.col("left_at").is_not_null()
    current = pl.col("left_at").is_null() & (pl.col("deal_status") == OPEN)
    return (
        aggregate(
            stays,
            [*keys, "stage"],
            pl.col("rank").first().alias("_rank"),
            done.sum().alias("completed_stays"),
            pl.col("days").filter(done).mean().alias("mean_days"),
            pl.col("days").filter(done).median().alias("median_days"),
            current.sum().alias("deals_in_stage"),
            pl.col("days").filter(current).mean().alias("mean_age_days"),
        )
        .sort([*keys, "_rank"])
        .drop("_rank")
    )


def slippage(deals: pl.DataFrame, *, by: Sequence[str] = ()) -> pl.DataFrame:
    """Close-date pushes of the open pipeline: pushes per deal and share of deals pushed."""
    keys = [k for k in by if k != "period"]
    frame = deals.filter(pl.col("status") == OPEN)
    return aggregate(
        frame,
        keys,
        pl.len().alias("open_deals"),
        pl.col("close_date_pushes").mean().alias("pushes_per_deal"),
        (pl.col("close_date_pushes") > 0).mean().alias("share_pushed"),
        (pl.col("close_date_pushes") >= 3).sum().alias("pushed_3_or_more"),
    )
