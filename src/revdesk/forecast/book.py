"""What a forecast knows about the deals at a moment: values, open deals and their features.

Pure functions over one as-of state (`Versions.state_at` plus the segment and `amount_base`);
everything they compute uses that state only, so it was known at its moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

import polars as pl

from revdesk.crm.asof import UTC_MICROS

__all__ = ["DAY_US", "TRAILING", "open_book", "stage_table", "with_value"]

DAY_US: Final = 86_400_000_000
TRAILING: Final = timedelta(days=365)
_MIN_PEERS: Final = 10  # won deals a segment needs before its own mean deal size is used
_SMOOTHING: Final = 5.0  # pseudo-deals pulling a rep's win rate toward the company's


def stage_table(stages: pl.DataFrame) -> pl.DataFrame:
    """Stages with status, rank (open 1..n in order, won n+1, lost null) and probability 0-1."""
    open_rank = (
        stages.filter(pl.col("status") == "open")
        .sort("sort_order")
        .select("name", pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"))
    )
    won_rank = open_rank.height + 1
    return (
        stages.join(open_rank, on="name", how="left")
        .with_columns(
            pl.when(pl.col("status") == "won")
            .then(pl.lit(won_rank, pl.Int64))
            .otherwise(pl.col("rank"))
            .alias("rank"),
            (pl.col("default_probability").cast(pl.Float64) / 100).alias("probability"),
        )
        .select("name", "status", "rank", "probability", "forecast_category", "sort_order")
        .sort("sort_order")
    )


def _days_since(column: str, at: datetime) -> pl.Expr:
    stamp = pl.lit(at, dtype=UTC_MICROS)
    return (stamp - pl.col(column)).dt.total_microseconds().cast(pl.Float64) / DAY_US


def with_value(state: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """Add `value`: the amount, or the trailing year's mean won deal size where it is missing."""
    stamp = pl.lit(at, dtype=UTC_MICROS)
    recent_wins = state.filter(
        pl.col("is_won")
        & (pl.col("closed_at") > stamp - TRAILING)
        & pl.col("amount_base").is_not_null()
    ).with_columns(pl.col("amount_base").cast(pl.Float64))
    overall = recent_wins["amount_base"].mean()
    by_segment = (
        recent_wins.group_by("segment")
        .agg(pl.len().alias("_n"), pl.col("amount_base").mean().alias("_typical"))
        .filter(pl.col("_n") >= _MIN_PEERS)
        .drop("_n")
    )
    fallback = float(overall) if isinstance(overall, float) else 0.0
    return (
        state.join(by_segment, on="segment", how="left")
        .with_columns(
            pl.coalesce(
                pl.col("amount_base").cast(pl.Float64),
                pl.col("_typical"),
                pl.lit(fallback),
            ).alias("value")
        )
        .drop("_typical")
    )


def open_book(state: pl.DataFrame, stages: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """The deals open at `at`, with every feature a forecast may use (all known at `at`)."""
    stamp = pl.lit(at, dtype=UTC_MICROS)
    closed = state.filter(pl.col("is_closed") & (pl.col("closed_at") > stamp - TRAILING))
    company = closed["is_won"].mean()
    prior = float(company) if isinstance(company, float) else 0.0
    reps = closed.group_by("owner_id").agg(
        pl.len().cast(pl.Float64).alias("rep_closed"),
        pl.col("is_won").sum().cast(pl.Float64).alias("_rep_won"),
    )
    rank = stages.select(pl.col("name").alias("stage"), "rank", "probability")
    return (
        state.filter(pl.col("status") == "open")
        .join(rank, on="stage", how="left")
        .join(reps, on="owner_id", how="left")
        .with_columns(
            pl.col("rep_closed").fill_null(0.0),
            (
                (pl.col("_rep_won").fill_null(0.0) + _SMOOTHING * prior)
                / (pl.col("rep_closed").fill_null(0.0) + _SMOOTHING)
            ).alias("rep_win_rate"),
            _days_since("created_at", at).alias("age_days"),
            _days_since("stage_entered_at", at).alias("stage_days"),
            _days_since("last_touch_at", at).alias("touch_days"),
            (pl.col("close_date") - pl.lit(at.date()))
            .dt.total_days()
            .cast(pl.Float64)
            .alias("days_to_close"),
        )
        .drop("_rep_won")
    )
