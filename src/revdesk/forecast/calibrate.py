"""Calibrated P10-P90 intervals: a method's interval from its own out-of-sample record.

The Monte Carlo of `revdesk.forecast.simulate` says how much a quarter can move if the method's
probabilities are right, give or take a quarter effect measured on the lookback quarters. Those
effects are measured in sample (the Markov chain is estimated on the stays of those quarters and
the win-probability model is trained on their deals), so they understate how wrong the method
can be about a quarter it has not seen. The interval is therefore set from the method's own
**out-of-sample errors**, in the manner of split conformal prediction:

* For a forecast F of period P as of T, at offset d = T's day - P's first day (negative before
  P starts), the same method is run, unchanged, as of the same offset into each of the
  `QUARTERS` latest quarters Q that ended by T (`AsOf.earlier`). Each of those forecasts F_Q sees
  only what was recorded by its own moment; its actual A_Q (won in Q, as known at Q's end) was
  known at T. A quarter whose forecast or actual is 0 has no log error and is skipped.
* The errors are log ratios r_Q = ln(A_Q / F_Q); with n of them, their mean m and standard
  deviation s (n - 1 in the denominator):

      P50      = F × exp(m)
      P10, P90 = F × exp(m ∓ t(0.9; n - 1) × s × sqrt(1 + 1/n))

  the prediction interval of one more draw from a normal sample of n: centred on the method's
  past bias, wide when few errors are known (t with n - 1 degrees of freedom), as it should be.
  Eight quarters are too few for empirical 10% and 90% quantiles of the errors (split conformal
  needs n >= 9 for an 80% interval), hence the normal model on the log scale.
* With fewer than `MIN_ERRORS` errors (a young company, the first quarters of a backtest) the
  interval is the simulation's own P10-P90 and the method's note says so (the fallback).

The point forecast is the method's expectation, unchanged. The simulated totals (for charts) are
mapped by a monotone, piecewise-linear function that takes the simulation's P10, P50 and P90 to
the calibrated ones, so that the chart keeps the simulation's shape and shows the interval
reported. Past forecasts are memoised per (method, quarter, offset): a backtest runs each once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from revdesk.core.fiscal import FiscalPeriod
from revdesk.forecast.model import Method, quantiles
from revdesk.forecast.timeline import AsOf

__all__ = [
    "MIN_ERRORS",
    "QUARTERS",
    "Calibrated",
    "Interval",
    "calibrated",
    "interval",
    "log_errors",
    "past_errors",
    "remap",
    "t90",
]

QUARTERS: Final = 8
MIN_ERRORS: Final = 3
# t(0.9; df) for df = 1..30 (scipy.stats.t.ppf(0.9, df), rounded to 6 decimals).
_T90: Final = (
    3.077684, 1.885618, 1.637744, 1.533206, 1.475884, 1.439756, 1.414924, 1.396815, 1.383029,
    1.372184, 1.363430, 1.356217, 1.350171, 1.345030, 1.340606, 1.336757, 1.333379, 1.330391,
    1.327728, 1.325341, 1.323188, 1.321237, 1.319460, 1.317836, 1.316345, 1.314972, 1.313703,
    1.312527, 1.311434, 1.310415,
)  # fmt: skip
_Z90: Final = 1.281552
Floats = npt.NDArray[np.float64]
PointOf = Callable[[AsOf], float | None]


def t90(df: int) -> float:
    """The 90% quantile of Student's t with `df` degrees of freedom (normal beyond 30)."""
    if df < 1:
        raise ValueError("t needs at least one degree of freedom")
    return _T90[df - 1] if df <= len(_T90) else _Z90


@dataclass(frozen=True)
class Interval:
    """Calibrated P10, P50, P90 and the errors they came from (n, mean, standard deviation)."""

    p10: float
    p50: float
    p90: float
    errors: int
    mean: float
    sd: float


def log_errors(forecasts: Floats, actuals: Floats) -> Floats:
    """ln(actual / forecast) for the pairs where both are above zero."""
    usable = (forecasts > 0) & (actuals > 0)
    return np.asarray(np.log(actuals[usable] / forecasts[usable]), dtype=np.float64)


def interval(point: float, errors: Floats) -> Interval | None:
    """The t-predictive interval around `point` from past log errors; None below MIN_ERRORS."""
    n = errors.size
    if n < MIN_ERRORS or point <= 0:
        return None
    mean, sd = float(errors.mean()), float(errors.std(ddof=1))
    half = t90(n - 1) * sd * math.sqrt(1 + 1 / n)
    return Interval(
        p10=point * math.exp(mean - half),
        p50=point * math.exp(mean),
        p90=point * math.exp(mean + half),
        errors=n,
        mean=mean,
        sd=sd,
    )


def remap(samples: Floats, raw: tuple[float, float, float], target: Interval) -> Floats:
    """Move the samples so that their P10, P50, P90 (`raw`) land on the target's, monotonically.

    Below the median, distances to it scale by (target P50 - P10) / (raw P50 - P10), above by
    the same ratio of the upper halves; a half with no spread is only shifted. Never below 0.
    """
    low, mid, high = raw

    def ratio(wanted: float, had: float) -> float:
        return wanted / had if had > 0 else 1.0

    below = ratio(target.p50 - target.p10, mid - low)
    above = ratio(target.p90 - target.p50, high - mid)
    scale = np.where(samples < mid, below, above)
    moved = target.p50 + (samples - mid) * scale
    return np.asarray(np.maximum(moved, 0.0), dtype=np.float64)


def past_errors(snap: AsOf, method: Method, point_of: PointOf) -> Floats:
    """Log errors of `method` forecasting past quarters as of the same offset into each."""
    offset = (snap.at.date() - snap.period.start).days
    forecasts, actuals = [], []
    for quarter in snap.past_quarters(QUARTERS):
        key = ("calibration", method.value, quarter.label, offset)
        point = snap.memo(key, partial(_past_point, snap, quarter, point_of))
        if point is None:
            continue
        forecasts.append(point)
        actuals.append(float(snap.won_in(quarter)["amount_base"].cast(pl.Float64).sum()))
    return log_errors(np.array(forecasts, dtype=np.float64), np.array(actuals, dtype=np.float64))


def _past_point(snap: AsOf, quarter: FiscalPeriod, point_of: PointOf) -> float | None:
    return point_of(snap.earlier(quarter))


@dataclass(frozen=True)
class Calibrated:
    """What a method reports: P10/P50/P90 (as Decimal via `money`), samples, and a note."""

    p10: float
    p50: float
    p90: float
    samples: Floats
    note: str


def calibrated(
    snap: AsOf, method: Method, point: float, samples: Floats, point_of: PointOf
) -> Calibrated:
    """The interval a method reports: calibrated on its past errors, else the simulation's."""
    low, mid, high = (float(q) for q in quantiles(samples))
    errors = past_errors(snap, method, point_of)
    found = interval(point, errors)
    if found is None:
        return Calibrated(
            low,
            mid,
            high,
            samples=samples,
            note=(
                f"interval from the simulation alone: {errors.size} past out-of-sample "
                f"forecast(s), calibration needs {MIN_ERRORS}"
            ),
        )
    return Calibrated(
        found.p10,
        found.p50,
        found.p90,
        samples=remap(samples, (low, mid, high), found),
        note=(
            f"interval calibrated on {found.errors} past quarters' out-of-sample errors "
            f"(mean log error {found.mean:+.3f}, sd {found.sd:.3f})"
        ),
    )
