"""The two pipeline arithmetic methods: stage-weighted pipeline and historical conversion.

Stage-weighted (a)::

    forecast = won so far + Σ value × stage default probability
               over the deals open at T whose close date is in P

Historical conversion (b), over the `lookback` latest quarters Q that ended before T, each seen
from the same offset d into it as T is into P (moment m_Q = Q start + d days, end of day)::

    rate     = Σ_Q won in Q from the pipeline open at m_Q / Σ_Q that pipeline
    other    = mean_Q won in Q by every other deal (created after m_Q, pulled in, no close date)
    forecast = won so far + rate × pipeline open at T + other

where "pipeline" is the open deals whose close date is on or before the period end (overdue
deals included; for a period that has not started yet, those closing inside it). At d = 0 this
is the share of the pipeline open at the period start that closed won in the period, plus the
amount created and won within the period, as the method is usually stated.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from revdesk.forecast.model import Method, MethodResult, money
from revdesk.forecast.simulate import effect_noise, quarter_effect, spread
from revdesk.forecast.timeline import AsOf, QuarterStats

__all__ = [
    "MIN_QUARTERS",
    "conversion",
    "past_effects",
    "past_statistics",
    "period_pipeline",
    "stage_weighted",
    "too_little_history",
]

MIN_QUARTERS: Final = 2


def _in_period(snap: AsOf) -> pl.Expr:
    return pl.col("close_date").is_between(snap.period.start, snap.period.end)


def period_pipeline(snap: AsOf) -> pl.Expr:
    """Open deals counted as the period's pipeline at T (see the module docstring)."""
    if snap.at.date() < snap.period.start:
        return _in_period(snap)
    return pl.col("close_date") <= snap.period.end


def stage_weighted(snap: AsOf) -> MethodResult:
    """Won so far plus the open deals closing in the period weighted by stage probability."""
    weighted = snap.book.select(
        "id",
        pl.when(_in_period(snap))
        .then(pl.col("probability"))
        .otherwise(0.0)
        .fill_null(0.0)
        .alias("p"),
        "value",
    )
    expected = float((weighted["p"] * weighted["value"]).sum())
    count = int((weighted["p"] > 0).sum())
    return MethodResult(
        Method.STAGE_WEIGHTED,
        point=money(snap.won_so_far + Decimal(repr(expected))),
        probabilities=weighted.select("id", "p"),
        note=f"{count:,} open deals closing in {snap.period.label}",
    )


def past_statistics(snap: AsOf, lookback: int) -> list[QuarterStats]:
    """The lookback quarters' statistics at the snapshot's offset, quarters with business only."""
    stats = [snap.quarter_stats(q) for q in snap.past_quarters(lookback)]
    return [s for s in stats if s.actual > 0 or s.pipeline > 0]


def past_effects(
    snap: AsOf,
    stats: list[QuarterStats],
    predict: Callable[[pl.DataFrame, QuarterStats], npt.NDArray[np.float64]],
) -> npt.NDArray[np.float64]:
    """The spread of quarter effects on a method: see `revdesk.forecast.simulate`.

    `predict` gives the method's probabilities for the deals open at a past quarter's moment.
    """
    effects, noise = [], []
    for s in stats:
        book = snap.book_at(s.moment)
        won = snap.won_in(s.quarter).select("id")
        target = float(book.join(won, on="id", how="inner")["value"].sum())
        values = book["value"].to_numpy().astype(np.float64)
        p = predict(book, s)
        effect = quarter_effect(p, values, target)
        effects.append(effect)
        noise.append(effect_noise(p, values, effect))
    return spread(np.array(effects, dtype=np.float64), np.array(noise, dtype=np.float64))


def too_little_history(snap: AsOf, stats: list[QuarterStats]) -> str | None:
    """The reason a history-based method cannot run, or None."""
    if len(stats) >= MIN_QUARTERS:
        return None
    return (
        f"needs at least {MIN_QUARTERS} completed quarters with business before "
        f"{snap.at:%Y-%m-%d}; found {len(stats)}"
    )


def conversion(snap: AsOf, *, lookback: int = 4) -> MethodResult:
    """Won so far + the historical conversion of the period pipeline + the usual other wins."""
    stats = past_statistics(snap, lookback)
    reason = too_little_history(snap, stats)
    if reason is not None:
        return MethodResult.skipped(Method.CONVERSION, reason)
    pipeline = sum(s.pipeline for s in stats)
    rate = sum(s.from_pipeline for s in stats) / pipeline if pipeline > 0 else 0.0
    other = sum(s.other for s in stats) / len(stats)
    open_now = snap.book.filter(period_pipeline(snap))
    expected = rate * float(open_now["value"].sum()) + other
    probabilities = snap.book.select(
        "id",
        pl.when(pl.col("id").is_in(open_now["id"].implode()))
        .then(min(rate, 1.0))
        .otherwise(0.0)
        .alias("p"),
    )
    return MethodResult(
        Method.CONVERSION,
        point=money(snap.won_so_far + Decimal(repr(expected))),
        probabilities=probabilities,
        note=(
            f"rate {rate:.1%} of {open_now.height:,} pipeline deals, plus {other:,.0f} other "
            f"wins a quarter ({len(stats)} quarters: {stats[0].quarter.label}.."
            f"{stats[-1].quarter.label})"
        ),
    )
