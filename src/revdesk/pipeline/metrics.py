"""Pipeline metrics over the deals frame as of one moment (definitions: docs/metrics.md).

Every function is pure and columnar: it takes the deals frame built by `pipeline.deals` from an
as-of reconstruction (so it sees only what was known at that moment) and returns a frame grouped
by `by`, any of rep, team, segment, region, product and period. "period" is the fiscal quarter of
the date the metric is about: the close date for pipeline, coverage and outcomes, the creation
date for pipeline created and cohorts. Amounts are `amount_base` (base currency, Decimal).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.core.fiscal import FiscalCalendar, FiscalPeriod
from revdesk.pipeline.grouping import (
    DAY_US,
    LOST,
    OPEN,
    WON,
    aggregate,
    check_slices,
    money_sum,
    ratio,
    with_period,
)


def pipeline_by_stage(
    deals: pl.DataFrame, stages: pl.DataFrame, calendar: FiscalCalendar, *, by: Sequence[str] = ()
) -> pl.DataFrame:
    """Open deals and their amount per stage (in pipeline order), per slice."""
    frame, keys = with_period(deals.filter(pl.col("status") == OPEN), by, calendar, "close_date")
    order = stages.select(pl.col("name").alias("stage"), "sort_order")
    result = aggregate(
        frame, [*keys, "stage"], pl.len().alias("deals"), money_sum().alias("amount")
    )
    return (
        result.join(order, on="stage", how="left")
        .sort([*keys, "sort_order"], nulls_last=True)
        .drop("sort_order")
    )


def coverage(
    deals: pl.DataFrame,
    period: FiscalPeriod,
    *,
    targets: pl.DataFrame | None = None,
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Open pipeline closing in `period` over the target still to win (target - won so far).

    `targets` has a `target` column (Decimal) plus one column per slice in `by` (not period).
    Without targets the target, remaining and coverage columns are null.
    """
    keys = [k for k in check_slices(by) if k != "period"]
    in_period = pl.col("close_date").is_between(period.start, period.end)
    frame = deals.filter(in_period)
    result = aggregate(
        frame,
        keys,
        money_sum(pl.col("status") == OPEN).alias("open_pipeline"),
        money_sum(pl.col("status") == WON).alias("won"),
    ).with_columns(pl.lit(period.label).alias("period"))
    if targets is None:
        return result.with_columns(
            pl.lit(None, pl.Decimal(38, 4)).alias(name) for name in ("target", "remaining")
        ).with_columns(pl.lit(None, pl.Float64).alias("coverage"))
    missing = [k for k in keys if k not in targets.columns]
    if missing or "target" not in targets.columns:
        raise InvalidInput(f"targets need columns {', '.join([*keys, 'target'])}")
    joined = (
        result.join(targets.select(*keys, "target"), on=keys, how="left")
        if keys
        else (result.with_columns(pl.lit(targets["target"].sum()).alias("target")))
    )
    return joined.with_columns((pl.col("target") - pl.col("won")).alias("remaining")).with_columns(
        ratio("open_pipeline", "remaining").alias("coverage")
    )


def outcomes(
    deals: pl.DataFrame,
    start: date,
    end: date,
    calendar: FiscalCalendar,
    *,
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Win rates, average deal size, cycle length and slippage of deals closed in [start, end]."""
    closed = deals.filter(
        pl.col("status").is_in([WON, LOST]) & pl.col("close_date").is_between(start, end)
    ).with_columns(
        ((pl.col("closed_at") - pl.col("created_at")).dt.total_microseconds() / DAY_US).alias(
            "cycle_days"
        )
    )
    frame, keys = with_period(closed, by, calendar, "close_date")
    is_won = pl.col("status") == WON
    result = aggregate(
        frame,
        keys,
        is_won.sum().alias("won_deals"),
        (~is_won).sum().alias("lost_deals"),
        money_sum(is_won).alias("won_amount"),
        money_sum(~is_won).alias("lost_amount"),
        pl.col("amount_base").filter(is_won).mean().alias("avg_deal_size"),
        pl.col("cycle_days").filter(is_won).mean().alias("cycle_days_mean"),
        pl.col("cycle_days").filter(is_won).median().alias("cycle_days_median"),
        pl.col("close_date_pushes").mean().alias("pushes_per_deal"),
        (pl.col("close_date_pushes") > 0).mean().alias("share_pushed"),
    )
    return result.with_columns(
        (pl.col("won_deals") + pl.col("lost_deals")).alias("closed_deals"),
        (pl.col("won_amount") + pl.col("lost_amount")).alias("closed_amount"),
    ).with_columns(
        ratio("won_deals", "closed_deals").alias("win_rate"),
        ratio("won_amount", "closed_amount").alias("win_rate_by_value"),
    )


def velocity(deals: pl.DataFrame, outcome: pl.DataFrame, *, by: Sequence[str] = ()) -> pl.DataFrame:
    """Sales velocity per day: open deals x win rate x average deal size / mean cycle days."""
    keys = [k for k in check_slices(by) if k != "period"]
    open_deals = aggregate(
        deals.filter(pl.col("status") == OPEN), keys, pl.len().alias("open_deals")
    )
    rates = outcome.select(*keys, "win_rate", "avg_deal_size", "cycle_days_mean")
    joined = open_deals.join(rates, on=keys, how="left") if keys else open_deals.hstack(rates)
    return joined.with_columns(
        (
            pl.col("open_deals")
            * pl.col("win_rate")
            * pl.col("avg_deal_size").cast(pl.Float64)
            / pl.col("cycle_days_mean")
        ).alias("velocity_per_day")
    )


def pipeline_created(
    deals: pl.DataFrame,
    start: datetime,
    end: datetime,
    calendar: FiscalCalendar,
    *,
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Deals created in [start, end] and their amount (as known at the as-of moment)."""
    created = deals.filter(pl.col("created_at").is_between(start, end))
    frame, keys = with_period(created, by, calendar, "created_at")
    return aggregate(frame, keys, pl.len().alias("deals"), money_sum().alias("amount"))


def cohorts(
    deals: pl.DataFrame, calendar: FiscalCalendar, *, by: Sequence[str] = ()
) -> pl.DataFrame:
    """Per creation quarter: deals created and how many were won, lost or are still open."""
    keys = [k for k in check_slices(by) if k != "period"]
    frame = deals.with_columns(
        calendar.fiscal_quarter_expr(pl.col("created_at").cast(pl.Date)).alias("cohort")
    )
    status = pl.col("status")
    result = aggregate(
        frame,
        [*keys, "cohort"],
        pl.len().alias("created"),
        money_sum().alias("created_amount"),
        (status == WON).sum().alias("won"),
        money_sum(status == WON).alias("won_amount"),
        (status == LOST).sum().alias("lost"),
        (status == OPEN).sum().alias("open"),
    )
    return (
        result.with_columns(
            (pl.col("won") + pl.col("lost")).alias("_closed"),
        )
        .with_columns(
            ratio("won", "_closed").alias("win_rate"),
            ratio("won", "created").alias("conversion"),
        )
        .drop("_closed")
    )
