"""Accuracy metrics of forecasts against actuals (definitions: docs/forecasting.md).

Over forecasts of periods whose actual is above zero (a period with nothing won has no
percentage error):

    error      = forecast - actual
    MAPE       = mean |forecast - actual| / actual
    bias       = mean (forecast - actual) / actual        (> 0: calls high, < 0: calls low)
    coverage   = share of periods with P10 <= actual <= P90 (forecasts with an interval only)

Over deals open at the as-of moment, with p the forecast probability of being won inside the
period and y = 1 when it was (as known at the period end):

    Brier score = mean (p - y)²
    calibration = per tenth of p (0-0.1, ..., 0.9-1.0): deals, mean p, share won
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

__all__ = ["brier", "calibration", "forecast_errors", "summarise_errors", "tendency"]

_BINS: Final = 10


def forecast_errors(rows: pl.DataFrame) -> pl.DataFrame:
    """Add error, pct_error and inside (P10 <= actual <= P90) to rows of forecast/actual."""
    forecast, actual = pl.col("forecast").cast(pl.Float64), pl.col("actual").cast(pl.Float64)
    p10, p90 = pl.col("p10").cast(pl.Float64), pl.col("p90").cast(pl.Float64)
    return rows.with_columns(
        (forecast - actual).alias("error"),
        pl.when(actual > 0).then((forecast - actual) / actual).alias("pct_error"),
        pl.when(p10.is_not_null() & p90.is_not_null() & forecast.is_not_null())
        .then((p10 <= actual) & (actual <= p90))
        .alias("inside"),
    )


def tendency(bias: pl.Expr) -> pl.Expr:
    """'calls high' for a positive bias, 'calls low' for a negative one, else 'on target'."""
    return (
        pl.when(bias > 0)
        .then(pl.lit("calls high"))
        .when(bias < 0)
        .then(pl.lit("calls low"))
        .when(bias == 0)
        .then(pl.lit("on target"))
    )


def summarise_errors(rows: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Per group: periods, mean error, MAPE, bias, tendency, coverage (rows of forecast_errors)."""
    scored = rows.filter(pl.col("forecast").is_not_null() & pl.col("pct_error").is_not_null())
    keys = list(by)
    summary = scored.group_by(keys).agg(
        pl.len().alias("periods"),
        pl.col("error").mean().alias("mean_error"),
        pl.col("pct_error").abs().mean().alias("mape"),
        pl.col("pct_error").mean().alias("bias"),
        pl.col("inside").drop_nulls().len().alias("intervals"),
        pl.col("inside").cast(pl.Float64).mean().alias("coverage"),
    )
    return summary.with_columns(tendency(pl.col("bias")).alias("tendency")).sort(keys)


def brier(deals: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Per group: deals scored and the Brier score; `deals` has columns p and won (bool)."""
    keys = list(by)
    squared = (pl.col("p") - pl.col("won").cast(pl.Float64)) ** 2
    return (
        deals.group_by(keys).agg(pl.len().alias("deals"), squared.mean().alias("brier")).sort(keys)
    )


def calibration(deals: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Per group and tenth of predicted probability: deals, mean predicted, share won."""
    keys = list(by)
    low = (pl.col("p").clip(0.0, 1.0) * _BINS).floor().clip(0, _BINS - 1).cast(pl.Int64)
    binned = deals.with_columns(low.alias("_bin"))
    table = binned.group_by([*keys, "_bin"]).agg(
        pl.len().alias("deals"),
        pl.col("p").mean().alias("mean_predicted"),
        pl.col("won").cast(pl.Float64).mean().alias("observed_rate"),
    )
    label = pl.format(
        "{}-{}",
        (pl.col("_bin") / _BINS).round(1).cast(pl.String),
        ((pl.col("_bin") + 1) / _BINS).round(1).cast(pl.String),
    )
    return (
        table.sort([*keys, "_bin"])
        .with_columns(label.alias("bin"))
        .select(*keys, "bin", "deals", "mean_predicted", "observed_rate")
    )
