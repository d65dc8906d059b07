"""Calibrated P10-P90 intervals: each method's simulated interval, rescaled on its own record.

The Monte Carlo of `revdesk.forecast.simulate` says how much a quarter can move if the method's
probabilities are right, give or take a quarter effect measured on the lookback quarters. Those
effects are measured in sample (the Markov chain is estimated on the stays of those quarters and
the win-probability model is trained on their deals), so the simulated interval can be too
narrow, or too wide, for a quarter the method has not seen. It is therefore rescaled on the
method's own **out-of-sample** record, in the manner of normalised split conformal prediction:

* For a forecast of P as of T, at offset d = T's day - P's first day (negative before P
  starts), the same method is run again, unchanged, as of the same offset into each of the
  `QUARTERS` latest quarters Q that ended by T (`AsOf.earlier`): each of those forecasts sees
  only what was recorded by its own moment, and its actual A_Q (won in Q as known at Q's end)
  was known at T.
* Each past forecast's error is measured in units of its own simulated half-interval, on the
  side where the actual fell (a *score*; |score| <= 1 means the actual was inside its P10-P90):

      score = ln(A / P50) / ln(P90 / P50)   when A >= P50
      score = ln(A / P50) / ln(P50 / P10)   when A <  P50

  If the simulation were right (and lognormal), score × z(0.9) would be standard normal, with
  z(0.9) = 1.281552. Quarters whose forecast or actual is 0 have no score and are skipped.
* With n scores, the interval's stretch is c = t(0.9; n) × sqrt(mean(score²)): the prediction
  bound of one more score when scores are normal around 0 with an unknown spread (Student's t
  with n degrees of freedom: wide when few are known, as it should be); c = 1 for a simulation
  that was right. The reported interval stretches the simulated one around its median, in logs:

      P50 = simulated P50,  P10 = P50 × (P10_sim / P50)^c,  P90 = P50 × (P90_sim / P50)^c

  Normalising by each forecast's own simulated spread lets quarters with many deals (little
  luck) and with few be compared; a plain split-conformal quantile of the raw errors would need
  n >= 9 quarters for an 80% interval (with 8 or fewer it is always the largest error).
* With fewer than `MIN_SCORES` scores (a young company, the first quarters of a backtest), or a
  simulated P10 of 0 (or no spread), the interval is the simulation's own and the note says so.

The point forecast is the method's expectation, unchanged. The simulated totals (for charts) are
mapped the same way (x -> P50 × (x / P50)^c), so the chart shows the interval reported. Each
method's simulated P10/P50/P90 is memoised per (method, quarter, offset): a backtest, whose
forecasts are the past forecasts of its later quarters, runs each once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from revdesk.core.fiscal import FiscalPeriod
from revdesk.forecast.model import Method, MethodResult, money
from revdesk.forecast.timeline import AsOf

__all__ = [
    "MIN_SCORES",
    "QUARTERS",
    "calibrate",
    "past_scores",
    "remap",
    "score",
    "stretch",
    "stretched",
    "t90",
]

QUARTERS: Final = 8
MIN_SCORES: Final = 3
# t(0.9; df) for df = 1..30 (scipy.stats.t.ppf(0.9, df), rounded to 6 decimals).
_T90: Final = (
    3.077684, 1.885618, 1.637744, 1.533206, 1.475884, 1.439756, 1.414924, 1.396815, 1.383029,
    1.372184, 1.363430, 1.356217, 1.350171, 1.345030, 1.340606, 1.336757, 1.333379, 1.330391,
    1.327728, 1.325341, 1.323188, 1.321237, 1.319460, 1.317836, 1.316345, 1.314972, 1.313703,
    1.312527, 1.311434, 1.310415,
)  # fmt: skip
_Z90: Final = 1.281552
Floats = npt.NDArray[np.float64]
Band = tuple[float, float, float]  # simulated P10, P50, P90
Rerun = Callable[[AsOf], MethodResult]


def t90(df: int) -> float:
    """The 90% quantile of Student's t with `df` degrees of freedom (normal beyond 30)."""
    if df < 1:
        raise ValueError("t needs at least one degree of freedom")
    return _T90[df - 1] if df <= len(_T90) else _Z90


def _usable(band: Band) -> bool:
    low, mid, high = band
    return 0 < low < mid < high


def score(actual: float, band: Band) -> float | None:
    """The error of a forecast in units of its simulated half-interval (None: no score)."""
    low, mid, high = band
    if actual <= 0 or not _usable(band):
        return None
    error = math.log(actual / mid)
    return error / math.log(high / mid) if error >= 0 else error / math.log(mid / low)


def stretch(scores: Floats) -> float | None:
    """c = t(0.9; n) × root mean square of the scores; None with fewer than MIN_SCORES."""
    n = scores.size
    if n < MIN_SCORES:
        return None
    return t90(n) * float(np.sqrt(np.mean(scores**2)))


def stretched(band: Band, c: float) -> Band:
    """The simulated interval stretched by c around its median, in logs."""
    low, mid, high = band
    return mid * (low / mid) ** c, mid, mid * (high / mid) ** c


def remap(samples: Floats, mid: float, c: float) -> Floats:
    """Simulated totals moved like the interval: x -> mid × (x / mid)^c (0 stays 0)."""
    ratio = np.maximum(samples, 0.0) / mid
    return np.asarray(mid * ratio**c, dtype=np.float64)


def _band(result: MethodResult) -> Band | None:
    if result.p10 is None or result.p50 is None or result.p90 is None:
        return None
    return float(result.p10), float(result.p50), float(result.p90)


def _key(method: Method, quarter: FiscalPeriod, snap: AsOf) -> tuple[object, ...]:
    return (
        "simulated band",
        method.value,
        quarter.label,
        (snap.at.date() - snap.period.start).days,
    )


def _past_band(snap: AsOf, quarter: FiscalPeriod, rerun: Rerun) -> Band | None:
    return _band(rerun(snap.earlier(quarter)))


def past_scores(snap: AsOf, method: Method, rerun: Rerun) -> Floats:
    """Scores of `method` forecasting past quarters as of the same offset into each."""
    scores: list[float] = []
    for quarter in snap.past_quarters(QUARTERS):
        band = snap.memo(_key(method, quarter, snap), partial(_past_band, snap, quarter, rerun))
        if band is None:
            continue
        actual = float(snap.won_in(quarter)["amount_base"].cast(pl.Float64).sum())
        found = score(actual, band)
        if found is not None:
            scores.append(found)
    return np.array(scores, dtype=np.float64)


def calibrate(snap: AsOf, raw: MethodResult, rerun: Rerun) -> MethodResult:
    """`raw` (the method with its simulated interval) with the interval rescaled on its record.

    `rerun` is the same method without calibration, run again on past snapshots.
    """
    band = _band(raw)
    if band is None or not raw.ran:
        return raw
    snap.memo(_key(raw.method, snap.period, snap), lambda: band)
    scores = past_scores(snap, raw.method, rerun)
    c = stretch(scores)
    if c is None or not _usable(band) or raw.samples is None:
        why = f"{scores.size} past quarter(s) scored, calibration needs {MIN_SCORES}"
        if not _usable(band):
            why = "the simulated P10 is 0 or the interval has no spread"
        return replace(raw, note=f"{raw.note}; interval from the simulation alone ({why})")
    low, mid, high = stretched(band, c)
    return replace(
        raw,
        p10=money(low),
        p90=money(high),
        samples=remap(raw.samples, mid, c),
        note=(
            f"{raw.note}; simulated interval stretched × {c:.2f} on {scores.size} past "
            "quarters' out-of-sample errors"
        ),
    )
