"""The company at a glance: open pipeline by stage and fiscal quarter, won and lost by quarter.

Pure and columnar: takes frames, returns frames. Amounts are converted to the base currency at
the rate in force on the deal's close date (dated exchange rates, as Salesforce does), or on
`today` when a deal has no close date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from revdesk.core.fiscal import FiscalCalendar
from revdesk.core.fx import RateTable

NO_CLOSE_DATE = "no close date"


@dataclass(frozen=True)
class Summary:
    """Open pipeline (long format: stage, quarter, deals, amount) and closed business by quarter."""

    base_currency: str
    open_pipeline: pl.DataFrame
    closed_by_quarter: pl.DataFrame


def summarise(
    opportunities: pl.DataFrame,
    stages: pl.DataFrame,
    rates: RateTable,
    calendar: FiscalCalendar,
    *,
    today: date,
) -> Summary:
    """Aggregate current opportunities into the summary figures."""
    deals = opportunities.join(
        stages.select("name", "status", "sort_order"),
        left_on="stage",
        right_on="name",
        how="left",
    ).with_columns(
        pl.col("close_date").fill_null(today).alias("_rate_day"),
        pl.col("amount").fill_null(0),
        calendar.fiscal_quarter_expr("close_date").fill_null(NO_CLOSE_DATE).alias("quarter"),
    )
    deals = rates.to_base_frame(
        deals, amount="amount", currency="currency", on="_rate_day", out="amount_base"
    )
    open_pipeline = (
        deals.filter(pl.col("status") == "open")
        .group_by("sort_order", "stage", "quarter")
        .agg(pl.len().alias("deals"), pl.col("amount_base").sum().alias("amount"))
        .sort("sort_order", "quarter")
        .drop("sort_order")
    )
    closed = (
        deals.filter(pl.col("status").is_in(["won", "lost"]))
        .group_by("quarter")
        .agg(
            (pl.col("status") == "won").sum().alias("won_deals"),
            pl.col("amount_base").filter(pl.col("status") == "won").sum().alias("won_amount"),
            (pl.col("status") == "lost").sum().alias("lost_deals"),
            pl.col("amount_base").filter(pl.col("status") == "lost").sum().alias("lost_amount"),
        )
        .with_columns(
            (pl.col("won_deals") / (pl.col("won_deals") + pl.col("lost_deals"))).alias("win_rate")
        )
        .sort("quarter")
    )
    return Summary(rates.base, open_pipeline, closed)
