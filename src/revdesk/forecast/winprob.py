"""Win-probability model: gradient boosting on past snapshots, calibrated, summed per period.

Training rows are deal snapshots from the `TRAIN_QUARTERS` latest quarters that ended before T:
every deal open at weeks 1, 3, 5, ..., 13 of such a quarter, with its features as they were at
that moment, labelled 1 when it was won inside that quarter (as known at the quarter end, which
is before T). So the model answers the forecast's own question, "will this open deal be won
before the quarter ends?", and every label and feature was known at T.

Features, each as known at the snapshot moment: stage (rank), age, days in stage, days since
the last recorded change (activity recency), days to the close date (negative when overdue;
missing when none), days left in the quarter, close-date pushes, amount changes, log amount and
whether the amount was missing, segment, and the owner's win rate and number of closed deals
over the trailing year (smoothed toward the company's rate). Not the forecast category: an
import that records stage history but not category history (Maven) would hand the model each
deal's final category, that is its outcome.

Fitting: `HistGradientBoostingClassifier` on the older quarters, then calibrated on the latest
training quarter (a split by time): isotonic regression of the outcome on the model's score
with at least 2,000 held-out rows, else Platt's sigmoid; that is what `CalibratedClassifierCV`
fits over a frozen model, done directly because that class cannot pass sample weights through.
Rows weigh 0.5 + 0.5 × value / mean value, in the fit and in the calibration: the forecast is a
sum of values, so big deals must be predicted well. At most `MAX_ROWS` rows are used (a seeded
sample).
The model needs `MIN_CLOSED` deals closed in the training quarters, else it is left out.

Forecast: won so far + Σ p × value over the deals open at T + the mean amount past quarters won
from deals created after the same offset. Distribution: that of `revdesk.forecast.simulate`,
with quarter effects measured by running the model on the deals open at the same offset into
each lookback quarter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from revdesk.core.clock import end_of_day
from revdesk.core.fiscal import FiscalPeriod
from revdesk.forecast.calibrate import calibrate
from revdesk.forecast.model import Method, MethodResult, money, quantiles
from revdesk.forecast.pipeline_methods import past_effects, past_statistics, too_little_history
from revdesk.forecast.simulate import logit, simulate
from revdesk.forecast.timeline import AsOf, QuarterStats

__all__ = [
    "FEATURES",
    "WinModel",
    "features",
    "simulated_win_probability",
    "train",
    "win_probability",
]

TRAIN_QUARTERS: Final = 8
TRAIN_WEEKS: Final = (1, 3, 5, 7, 9, 11, 13)
MIN_CLOSED: Final = 200
MAX_ROWS: Final = 25_000
SEED: Final = 7
_ISOTONIC_ROWS: Final = 2_000
FEATURES: Final = (
    "rank",
    "age_days",
    "stage_days",
    "touch_days",
    "days_to_close",
    "days_left",
    "close_date_pushes",
    "amount_changes",
    "log_value",
    "amount_missing",
    "segment",
    "rep_win_rate",
    "rep_closed",
)
_CATEGORICAL: Final = (FEATURES.index("segment"),)
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class WinModel:
    """A classifier, its calibrator and the segment coding it was trained with."""

    classifier: Any
    calibrator: Any
    isotonic: bool
    segments: tuple[str, ...]
    unknown: tuple[int, ...]
    quarters: tuple[str, ...]
    rows: int
    closed: int

    def predict(self, book: pl.DataFrame, days_left: int) -> Floats:
        """P(won before the quarter ends) for each open deal in `book`."""
        if book.is_empty():
            return np.zeros(0)
        with_horizon = book.with_columns(pl.lit(days_left).alias("days_left"))
        matrix = features(with_horizon, self.segments)
        matrix[:, list(self.unknown)] = 0.0
        raw = self.classifier.predict_proba(matrix)[:, 1]
        scores = np.asarray(raw, dtype=np.float64)
        if self.isotonic:
            return np.asarray(self.calibrator.predict(scores), dtype=np.float64)
        proba = self.calibrator.predict_proba(logit(scores).reshape(-1, 1))[:, 1]
        return np.asarray(proba, dtype=np.float64)


def _calibrator(raw: Floats, labels: npt.NDArray[np.bool_], weights: Floats) -> Any:
    """Isotonic with enough held-out rows, else Platt's sigmoid; both weighted like the fit."""
    # scikit-learn takes seconds to import; only the commands that fit a model pay for it.
    from sklearn.isotonic import IsotonicRegression  # noqa: PLC0415
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    if raw.size >= _ISOTONIC_ROWS:
        isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        return isotonic.fit(raw, labels.astype(np.float64), sample_weight=weights)
    platt = LogisticRegression(C=1e6)
    return platt.fit(logit(raw).reshape(-1, 1), labels, sample_weight=weights)


def features(book: pl.DataFrame, segments: tuple[str, ...]) -> Floats:
    """The feature matrix (rows of `book`, columns `FEATURES`); missing values are NaN.

    `book` is an open book (`AsOf.book`) with a `days_left` column: days to the quarter end.
    """
    coded = book.select(
        pl.col("rank").cast(pl.Float64),
        "age_days",
        "stage_days",
        "touch_days",
        "days_to_close",
        pl.col("days_left").cast(pl.Float64),
        pl.col("close_date_pushes").cast(pl.Float64),
        pl.col("amount_changes").cast(pl.Float64),
        pl.col("value").clip(lower_bound=0.0).log1p().alias("log_value"),
        pl.col("amount_base").is_null().cast(pl.Float64).alias("amount_missing"),
        pl.col("segment")
        .replace_strict(
            {s: float(i) for i, s in enumerate(segments)}, default=None, return_dtype=pl.Float64
        )
        .alias("segment"),
        "rep_win_rate",
        "rep_closed",
    )
    return coded.to_numpy().astype(np.float64)


def _rows(snap: AsOf, quarter: FiscalPeriod) -> pl.DataFrame:
    """Training rows of one quarter: open deals at each training week, labelled."""
    won = snap.won_in(quarter)["id"].implode()
    frames = []
    for week in TRAIN_WEEKS:
        day = quarter.start + timedelta(days=7 * (week - 1))
        if day > quarter.end:
            continue
        book = snap.book_at(end_of_day(day))
        frames.append(
            book.with_columns(
                pl.lit((quarter.end - day).days).alias("days_left"),
                pl.col("id").is_in(won).alias("_won"),
                pl.lit(quarter.label).alias("_quarter"),
            )
        )
    return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()


def _weights(rows: pl.DataFrame) -> Floats:
    """Rows weigh by deal value (scaled to mean 1): the forecast is of value, not of counts."""
    value = rows["value"].clip(lower_bound=0.0).fill_null(0.0).to_numpy().astype(np.float64)
    mean = float(value.mean()) if value.size else 0.0
    if mean <= 0:
        return np.ones(value.size)
    return np.asarray(0.5 + 0.5 * value / mean, dtype=np.float64)


def train(snap: AsOf) -> WinModel | str:
    """The calibrated model for a snapshot, or the reason it cannot be trained."""
    quarters = snap.past_quarters(TRAIN_QUARTERS)
    if len(quarters) < 2:
        return f"needs 2 completed quarters before {snap.at:%Y-%m-%d} to train and calibrate"
    key = ("win_probability", tuple(q.label for q in quarters))
    return snap.memo(key, lambda: _train(snap, quarters))


def _train(snap: AsOf, quarters: list[FiscalPeriod]) -> WinModel | str:
    closed = sum(snap.closed_in(q).height for q in quarters)
    if closed < MIN_CLOSED:
        return (
            f"only {closed} deals closed in the {len(quarters)} quarters before "
            f"{snap.at:%Y-%m-%d}; the model needs {MIN_CLOSED}"
        )
    rows = pl.concat([_rows(snap, q) for q in quarters], how="vertical_relaxed")
    if rows.height > MAX_ROWS:
        rows = rows.sample(MAX_ROWS, seed=SEED)
    rows = rows.sort("_quarter", "days_left", "id")
    latest = quarters[-1].label
    fit, hold = rows.filter(pl.col("_quarter") != latest), rows.filter(pl.col("_quarter") == latest)
    labels_fit, labels_hold = fit["_won"].to_numpy(), hold["_won"].to_numpy()
    if fit.is_empty() or hold.is_empty() or len(set(labels_fit)) < 2 or len(set(labels_hold)) < 2:
        return "the training quarters need both won and not-won deals to fit and calibrate"
    from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: PLC0415

    segments = tuple(sorted(rows["segment"].unique().to_list()))
    model = HistGradientBoostingClassifier(
        learning_rate=0.15,
        max_iter=60,
        max_leaf_nodes=15,
        min_samples_leaf=50,
        l2_regularization=1.0,
        categorical_features=list(_CATEGORICAL),
        early_stopping=False,
        random_state=SEED,
    )
    matrix = features(fit, segments)
    # A feature never known in the training rows (e.g. no deal had a close date) says nothing.
    unknown = tuple(int(i) for i in np.flatnonzero(np.isnan(matrix).all(axis=0)))
    matrix[:, list(unknown)] = 0.0
    model.fit(matrix, labels_fit, sample_weight=_weights(fit))
    held = features(hold, segments)
    held[:, list(unknown)] = 0.0
    raw = np.asarray(model.predict_proba(held)[:, 1], dtype=np.float64)
    calibrator = _calibrator(raw, labels_hold, _weights(hold))
    quarter_labels = tuple(q.label for q in quarters)
    isotonic = raw.size >= _ISOTONIC_ROWS
    return WinModel(
        model, calibrator, isotonic, segments, unknown, quarter_labels, rows.height, closed
    )


def _expected(snap: AsOf, lookback: int) -> tuple[WinModel, list[QuarterStats], Floats] | str:
    """The trained model, the lookback statistics and each open deal's p, or why not."""
    if snap.at.date() < snap.period.start:
        return f"the model forecasts the quarter under way; {snap.period.label} has not started"
    stats = past_statistics(snap, lookback)
    reason = too_little_history(snap, stats)
    if reason is not None:
        return reason
    model = train(snap)
    if isinstance(model, str):
        return model
    return model, stats, model.predict(snap.book, (snap.period.end - snap.at.date()).days)


def _point(snap: AsOf, stats: list[QuarterStats], p: Floats) -> float:
    values = snap.book["value"].to_numpy().astype(np.float64)
    extra = float(np.mean([s.created_after for s in stats]))
    return float(snap.won_so_far) + float(p @ values) + extra


def win_probability(snap: AsOf) -> MethodResult:
    """The model's expected value and P10/P50/P90, the interval calibrated on its record."""
    return calibrate(snap, simulated_win_probability(snap), simulated_win_probability)


def simulated_win_probability(snap: AsOf, *, lookback: int = 4) -> MethodResult:
    """The model's expected value with the scenario simulation's own P10/P50/P90."""
    fit = _expected(snap, lookback)
    if isinstance(fit, str):
        return MethodResult.skipped(Method.WIN_PROBABILITY, fit)
    model, stats, p = fit
    values = snap.book["value"].to_numpy().astype(np.float64)

    def predict(book: pl.DataFrame, stats: QuarterStats) -> Floats:
        return model.predict(book, (stats.quarter.end - stats.moment.date()).days)

    shifts = past_effects(snap, stats, predict)
    extra = np.array([s.created_after for s in stats])
    samples = simulate(float(snap.won_so_far), values, p, extra, shifts=shifts)
    point = _point(snap, stats, p)
    p10, p50, p90 = quantiles(samples)
    return MethodResult(
        Method.WIN_PROBABILITY,
        point=money(Decimal(repr(point))),
        p10=p10,
        p50=p50,
        p90=p90,
        probabilities=pl.DataFrame({"id": snap.book["id"], "p": p}),
        samples=samples,
        note=(
            f"trained on {model.rows:,} snapshots of {model.closed:,} closed deals "
            f"({model.quarters[0]}..{model.quarters[-1]})"
        ),
    )
