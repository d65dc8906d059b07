"""Backtests: forecast past quarters as of past weeks, from what was known then, and score them.

Protocol: for each of the last N completed fiscal quarters that have business (a deal closed in
them) and each week W, the moment is T = the quarter's first day + (W - 1) weeks, at the end of
that day. Every method runs on `Timeline.as_of(T, quarter)`, so it sees only what was recorded
by T. The actual is the amount won in the quarter as known at its end. Snapshots are shared by
the methods at the same T, and the timeline caches what several moments need (states, open
books, quarter statistics, trained models), so the cost grows with the number of moments, not
with methods × moments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

import polars as pl

from revdesk.core.clock import end_of_day
from revdesk.core.errors import InvalidInput
from revdesk.core.fiscal import FiscalPeriod
from revdesk.forecast.model import Method, MethodResult
from revdesk.forecast.run import run_methods
from revdesk.forecast.scores import brier, calibration, forecast_errors, summarise_errors
from revdesk.forecast.timeline import Timeline

__all__ = ["Backtest", "backtest", "backtest_periods", "moment", "parse_periods", "parse_weeks"]

MAX_WEEK: Final = 13  # every fiscal quarter has at least 89 days, so a week 13
MAX_PERIODS: Final = 40
_MONEY: Final = pl.Decimal(38, 2)


def parse_weeks(raw: str) -> list[int]:
    """`1,4,8,12` as sorted unique weeks of a quarter (1-13), or one clear error."""
    try:
        weeks = sorted({int(part) for part in raw.split(",") if part.strip()})
    except ValueError:
        raise InvalidInput(
            f"{raw!r} is not a list of week numbers like 1,4,8,12", where="--weeks"
        ) from None
    if not weeks or weeks[0] < 1 or weeks[-1] > MAX_WEEK:
        raise InvalidInput(f"weeks must be between 1 and {MAX_WEEK}, got {raw!r}", where="--weeks")
    return weeks


def parse_periods(value: int) -> int:
    """The number of quarters to backtest, 1-40."""
    if not 1 <= value <= MAX_PERIODS:
        raise InvalidInput(f"must be between 1 and {MAX_PERIODS}, got {value}", where="--periods")
    return value


def moment(period: FiscalPeriod, week: int) -> datetime:
    """The as-of moment of week `week` of `period`: the end of its first day."""
    return end_of_day(period.start + timedelta(days=7 * (week - 1)))


def backtest_periods(timeline: Timeline, count: int) -> tuple[list[FiscalPeriod], list[str]]:
    """The latest `count` completed quarters in which a deal closed, oldest first, and notes."""
    calendar, first = timeline.calendar, timeline.first_created
    if first is None:
        raise InvalidInput("there are no opportunities to backtest")
    quarters: list[FiscalPeriod] = []
    quarter = calendar.previous(calendar.quarter(timeline.now.date()))
    while len(quarters) < count and quarter.end >= first.date():
        if timeline.closed_count(quarter) > 0:
            quarters.append(quarter)
        quarter = calendar.previous(quarter)
    if not quarters:
        raise InvalidInput("no completed quarter has a closed deal; there is nothing to backtest")
    notes = []
    if len(quarters) < count:
        notes.append(
            f"only {len(quarters)} completed quarter(s) with closed deals; backtested those"
        )
    return quarters[::-1], notes


@dataclass(frozen=True)
class Backtest:
    """Forecasts of past quarters next to their actuals, and the scores per method and week."""

    periods: list[FiscalPeriod]
    weeks: list[int]
    forecasts: pl.DataFrame
    summary: pl.DataFrame
    calibration: pl.DataFrame
    notes: list[str] = field(default_factory=list)

    def sections(self) -> dict[str, pl.DataFrame]:
        """The named tables, for rendering and export."""
        return {
            "summary": self.summary,
            "forecasts": self.forecasts,
            "calibration": self.calibration,
        }


def _row(period: FiscalPeriod, week: int, at: datetime, r: MethodResult) -> dict[str, object]:
    return {
        "period": period.label,
        "week": week,
        "as_of": at,
        "method": r.method.value,
        "forecast": r.point,
        "p10": r.p10,
        "p50": r.p50,
        "p90": r.p90,
        "left_out_because": r.skipped_reason,
    }


def backtest(
    timeline: Timeline,
    *,
    periods: Sequence[FiscalPeriod],
    weeks: Sequence[int],
    methods: Sequence[Method] = tuple(Method),
    progress: Callable[[str], None] | None = None,
) -> Backtest:
    """Forecast every (period, week) with every method and score them."""
    rows: list[dict[str, object]] = []
    scored: list[pl.DataFrame] = []
    actuals: dict[str, Decimal] = {}
    for period in periods:
        actual = timeline.actual(period)
        if actual is None:
            raise InvalidInput(f"{period.label} is not over; it cannot be backtested")
        actuals[period.label] = actual
        won = timeline.outcomes(period)
        for week in weeks:
            at = moment(period, week)
            if progress is not None:
                progress(f"{period.label} week {week}")
            for result in run_methods(timeline.as_of(at, period), methods):
                rows.append(_row(period, week, at, result))
                if result.probabilities is not None:
                    scored.append(_outcomes(result, won, week))
    forecasts = _forecasts(rows, actuals)
    deals = pl.concat(scored) if scored else _no_deals()
    left_out = forecasts.group_by("method", "week").agg(
        pl.col("left_out_because").is_not_null().sum().alias("left_out"),
        pl.col("left_out_because").drop_nulls().first().alias("left_out_because"),
    )
    summary = left_out.join(
        summarise_errors(forecasts, ["method", "week"]), on=["method", "week"], how="left"
    ).join(brier(deals, ["method", "week"]), on=["method", "week"], how="left")
    pooled = calibration(deals, ["method"]).with_columns(pl.lit(None, pl.Int64).alias("week"))
    per_week = calibration(deals, ["method", "week"])
    table = pl.concat([pooled.select(per_week.columns), per_week])
    return Backtest(list(periods), list(weeks), forecasts, _ordered(summary), table)


def _outcomes(result: MethodResult, won: pl.DataFrame, week: int) -> pl.DataFrame:
    assert result.probabilities is not None
    return result.probabilities.join(won, on="id", how="left").select(
        pl.lit(result.method.value).alias("method"),
        pl.lit(week, pl.Int64).alias("week"),
        pl.col("p").cast(pl.Float64),
        pl.col("won").fill_null(value=False),
    )


def _no_deals() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"method": pl.String, "week": pl.Int64, "p": pl.Float64, "won": pl.Boolean}
    )


def _forecasts(rows: list[dict[str, object]], actuals: dict[str, Decimal]) -> pl.DataFrame:
    frame = pl.DataFrame(
        rows,
        schema={
            "period": pl.String,
            "week": pl.Int64,
            "as_of": pl.Datetime("us", "UTC"),
            "method": pl.String,
            "forecast": _MONEY,
            "p10": _MONEY,
            "p50": _MONEY,
            "p90": _MONEY,
            "left_out_because": pl.String,
        },
    )
    actual = pl.col("period").replace_strict(
        {k: v.quantize(Decimal("0.01")) for k, v in actuals.items()}, return_dtype=_MONEY
    )
    scored = forecast_errors(frame.with_columns(actual.alias("actual")))
    return scored.select(
        "period",
        "week",
        "as_of",
        "method",
        "forecast",
        "p10",
        "p50",
        "p90",
        "actual",
        "error",
        "pct_error",
        "inside",
        "left_out_because",
    )


def _ordered(summary: pl.DataFrame) -> pl.DataFrame:
    order = {m.value: i for i, m in enumerate(Method)}
    return (
        summary.with_columns(pl.col("method").replace_strict(order).alias("_order"))
        .sort("week", "_order")
        .drop("_order")
        .select(
            "method",
            "week",
            "periods",
            "mape",
            "bias",
            "tendency",
            "mean_error",
            "intervals",
            "coverage",
            "deals",
            "brier",
            "left_out",
            "left_out_because",
        )
    )
