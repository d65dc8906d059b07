"""Stage-transition (Markov) model: how deals move between stages, run forward to the period end.

Estimation, from the stage stays known at T (`AsOf.path`) that overlap the window from the start
of the oldest lookback quarter to T. A deal's chances of moving depend on its stage s, on how
long it has been there (bucket b: 0-2, 2-4, 4-8, 8-13, 13-26, 26-52, 52+ weeks), on where the
calendar is (zone z: the last 14 days of a fiscal quarter, when deals get pushed over the line,
or earlier) and on its group g: the deal's segment and size band (the lower, middle or upper
third of deal values in that segment: big deals are won less often than small ones at the same
stage, and the forecast is of value, not of deal counts). For each cell:

    exit rate   = moves out of s in the cell / days deals spent in the cell
    destination = share of those moves that went to each open stage, to won and to lost

Deals still in a stage at T count their days so far (censored, not dropped). Sparse cells are
pulled toward their parent by pseudo-counts (group → company, zone → both zones, bucket → the
whole stage), so "by segment if enough data" happens smoothly. The weekly transition
probabilities are `1 - exp(-7 × rate)` times the destination shares (`Chain.weekly`); the model
steps one day at a time so that horizons ending mid-week and the quarter-end zone are exact.

Forecast: a backward recursion over (group, stage, days in stage), day by day to the period
end, gives every open deal's probability of reaching won inside the period: the number a
week-by-week Monte Carlo of each deal converges to, without its sampling noise (a unit test
checks the two agree). The distribution is that of `revdesk.forecast.simulate`: the chain's
probabilities shifted by quarter effects, measured by running the same chain on the deals open
at the same offset into each lookback quarter, plus what those quarters won from deals created
later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from revdesk.core.clock import start_of_day
from revdesk.core.fiscal import FiscalCalendar
from revdesk.crm.asof import UTC_MICROS as UTC
from revdesk.forecast.calibrate import calibrate
from revdesk.forecast.markov_fit import (
    BUCKET_WEEKS,
    POOLED,
    Chain,
    estimate,
    late_days,
    stage_stays,
    with_group,
)
from revdesk.forecast.model import Method, MethodResult, money, quantiles
from revdesk.forecast.pipeline_methods import past_effects, past_statistics, too_little_history
from revdesk.forecast.simulate import simulate
from revdesk.forecast.timeline import AsOf, QuarterStats

__all__ = ["MAX_DAYS", "POOLED", "Chain", "estimate", "markov", "simulated_markov", "win_within"]

MAX_DAYS: Final = 365  # days in stage beyond which time no longer changes the odds
MIN_MOVES: Final = 30
Floats = npt.NDArray[np.float64]


def win_within(chain: Chain, late: npt.NDArray[np.bool_]) -> Floats:
    """P(won within len(late) days) per (group, stage, days in stage); `late[i]`: day i+1's zone."""
    n_stage = len(chain.stages)
    bucket = (
        np.searchsorted(
            np.array([7 * w for w in BUCKET_WEEKS]), np.arange(MAX_DAYS + 1), side="right"
        )
        - 1
    )
    leave = 1.0 - np.exp(-chain.rate[:, :, bucket, :])  # (G, S, K+1, Z)
    mix = chain.destination[:, :, bucket, :, :]  # (G, S, K+1, Z, targets)
    older = np.minimum(np.arange(MAX_DAYS + 1) + 1, MAX_DAYS)
    value = np.zeros(leave.shape[:3])
    # Backwards from the horizon: with t days to go, the day ahead is day len(late) - t + 1.
    for zone in late[::-1].astype(np.int64):
        fresh = value[:, :, 0]  # entering a stage starts its clock at 0
        moved = (
            np.einsum("gskt,gt->gsk", mix[:, :, :, zone, :n_stage], fresh)
            + mix[:, :, :, zone, n_stage]
        )
        value = leave[..., zone] * moved + (1.0 - leave[..., zone]) * value[:, :, older]
    return value


def _deal_probabilities(
    chain: Chain, book: pl.DataFrame, calendar: FiscalCalendar, *, day: date, first: int, last: int
) -> Floats:
    """P(won between `first` and `last` days after `day`) for every open deal in `book`."""
    start = day + timedelta(days=1)
    by_end = win_within(chain, late_days(calendar, start, last))
    g = (
        with_group(book, chain.edges)["_group"]
        .replace_strict(
            {s: i for i, s in enumerate(chain.groups)},
            default=len(chain.groups) - 1,
            return_dtype=pl.Int64,
        )
        .to_numpy()
    )
    s = (
        book["stage"]
        .replace_strict({s: i for i, s in enumerate(chain.stages)}, return_dtype=pl.Int64)
        .to_numpy()
    )
    k = np.clip(np.floor(book["stage_days"].to_numpy()), 0, MAX_DAYS).astype(np.int64)
    won = by_end[g, s, k]
    if first == 0:
        return np.asarray(won, dtype=np.float64)
    before = win_within(chain, late_days(calendar, start, first))
    return np.asarray(won - before[g, s, k], dtype=np.float64)


def _horizon(snap: AsOf) -> tuple[int, int]:
    """Whole days after T's day until the period starts (0 once it has) and until it ends."""
    day = snap.at.date()
    return max(0, (snap.period.start - day).days - 1), max(0, (snap.period.end - day).days)


@dataclass(frozen=True, eq=False)
class _Expected:
    """The chain fitted at T and what it expects: enough for the point and the distribution."""

    stats: list[QuarterStats]
    chain: Chain
    book: pl.DataFrame
    p: Floats
    extra: Floats
    window_start: datetime

    @property
    def point(self) -> float:
        return float(self.p @ self.book["value"].to_numpy().astype(np.float64)) + float(
            self.extra.mean()
        )


def _expected(snap: AsOf, lookback: int) -> _Expected | str:
    """Fit the chain on the stays known at T and give every open deal its probability."""
    stats = past_statistics(snap, lookback)
    reason = too_little_history(snap, stats)
    if reason is not None:
        return reason
    window_start = start_of_day(stats[0].quarter.start)
    stays = stage_stays(snap).filter(
        pl.col("left_at").is_null() | (pl.col("left_at") >= pl.lit(window_start, dtype=UTC))
    )
    main = estimate(snap, window_start, snap.at, stays=stays)
    if main.moves < MIN_MOVES:
        return (
            f"only {main.moves} stage moves known between {window_start:%Y-%m-%d} and "
            f"{snap.at:%Y-%m-%d}; needs {MIN_MOVES}"
        )
    book = snap.book.filter(pl.col("stage").is_in(list(main.stages)))
    first, last = _horizon(snap)
    p = _deal_probabilities(main, book, snap.calendar, day=snap.at.date(), first=first, last=last)
    extra = np.array([s.created_after for s in stats])
    return _Expected(stats, main, book, p, extra, window_start)


def markov(snap: AsOf) -> MethodResult:
    """The Markov forecast: expected value, P10/P50/P90 with the interval calibrated."""
    return calibrate(snap, simulated_markov(snap), simulated_markov)


def simulated_markov(snap: AsOf, *, lookback: int = 4) -> MethodResult:
    """The Markov forecast with the scenario simulation's own P10/P50/P90."""
    fit = _expected(snap, lookback)
    if isinstance(fit, str):
        return MethodResult.skipped(Method.MARKOV, fit)
    main, book, expected = fit.chain, fit.book, fit.p
    stages = list(main.stages)

    def predict(past: pl.DataFrame, stats: QuarterStats) -> Floats:
        day = stats.moment.date()
        known = past.with_columns(pl.col("stage").is_in(stages).alias("_known"))
        p = np.zeros(known.height)
        mask = known["_known"].to_numpy()
        days = (stats.quarter.end - day).days
        p[mask] = _deal_probabilities(
            main, known.filter(pl.col("_known")), snap.calendar, day=day, first=0, last=days
        )
        return p

    shifts = past_effects(snap, fit.stats, predict)
    values = book["value"].to_numpy().astype(np.float64)
    samples = simulate(float(snap.won_so_far), values, expected, fit.extra, shifts=shifts)
    point = float(snap.won_so_far) + fit.point
    p10, p50, p90 = quantiles(samples)
    return MethodResult(
        Method.MARKOV,
        point=money(Decimal(repr(point))),
        p10=p10,
        p50=p50,
        p90=p90,
        probabilities=pl.DataFrame({"id": book["id"], "p": expected}),
        samples=samples,
        note=(
            f"{main.moves:,} stage moves since {fit.window_start:%Y-%m-%d}; "
            f"{book.height:,} open deals"
        ),
    )
