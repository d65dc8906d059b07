"""Fitting the stage-transition chain: exposure and moves per cell, pulled toward their parents.

See `revdesk.forecast.markov` for the model. A cell is (group, stage, bucket of time in stage,
calendar zone); the estimate reads only the stage stays known at the snapshot's moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from revdesk.core.clock import end_of_day, start_of_day
from revdesk.core.fiscal import FiscalCalendar
from revdesk.forecast.timeline import DAY_US, AsOf

__all__ = [
    "BUCKET_WEEKS",
    "LATE_DAYS",
    "POOLED",
    "Chain",
    "estimate",
    "late_days",
    "stage_stays",
    "with_group",
]

BUCKET_WEEKS: Final = (0, 2, 4, 8, 13, 26, 52)
LATE_DAYS: Final = 14  # the quarter-end zone: the last two weeks of a fiscal quarter
PSEUDO_DAYS: Final = 60.0
PSEUDO_MOVES: Final = 10.0
POOLED: Final = "(all)"
_UTC: Final = pl.Datetime("us", "UTC")
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Chain:
    """Daily exit rates (group, stage, bucket, zone) and destination mixes (..., target).

    Targets are the open stages in order, then won, then lost. Groups are "segment|band" (band
    0-2 by the segment's value terciles in `edges`); the last group is the pooled company
    chain, used for deals of a segment it has not seen. Zone 1 is the quarter-end zone.
    """

    groups: tuple[str, ...]
    edges: dict[str, tuple[float, float]]
    stages: tuple[str, ...]
    rate: Floats
    destination: Floats
    moves: int

    def weekly(self) -> pl.DataFrame:
        """The company's weekly transition probabilities per stage, bucket and zone."""
        rows: list[tuple[str, int, str, str, float]] = []
        targets = [*self.stages, "won", "lost"]
        for s, stage in enumerate(self.stages):
            for b, weeks in enumerate(BUCKET_WEEKS):
                for z, zone in enumerate(("before quarter end", "quarter end")):
                    leave = 1 - np.exp(-7 * self.rate[-1, s, b, z])
                    rows.extend(
                        (
                            stage,
                            weeks,
                            zone,
                            target,
                            float(leave * self.destination[-1, s, b, z, t]),
                        )
                        for t, target in enumerate(targets)
                    )
        return pl.DataFrame(
            rows,
            schema=["stage", "weeks_in_stage_from", "zone", "to", "weekly_probability"],
            orient="row",
        )


def late_days(calendar: FiscalCalendar, first: date, days: int) -> npt.NDArray[np.bool_]:
    """For each of `days` days from `first`, whether it lies in its quarter's last two weeks."""
    out = np.zeros(days, dtype=bool)
    for i in range(days):
        day = first + timedelta(days=i)
        out[i] = (calendar.quarter(day).end - day).days < LATE_DAYS
    return out


def _zones(calendar: FiscalCalendar, start: datetime, end: datetime) -> list[tuple[float, float]]:
    """Quarter-end zones overlapping [start, end], as days since `start`."""
    zones = []
    for quarter in calendar.quarters_between(start.date(), end.date()):
        zone_start = start_of_day(quarter.end - timedelta(days=LATE_DAYS - 1))
        zone_end = end_of_day(quarter.end)
        zones.append(
            (
                (zone_start - start).total_seconds() / 86_400,
                (zone_end - start).total_seconds() / 86_400,
            )
        )
    return zones


def _cells(
    stays: pl.DataFrame, start: datetime, end: datetime, zones: list[tuple[float, float]]
) -> pl.DataFrame:
    """Per stay: days in each (bucket, zone) within the window, and the cell of its move out."""
    lo, hi = pl.lit(start, dtype=_UTC), pl.lit(end, dtype=_UTC)
    left = pl.col("left_at")

    def days(expr: pl.Expr) -> pl.Expr:
        return (expr - lo).dt.total_microseconds().cast(pl.Float64) / DAY_US

    overlapping = (pl.col("entered_at") <= hi) & (left.is_null() | (left >= lo))
    frame = (
        stays.filter(overlapping)
        .with_columns(
            days(pl.max_horizontal("entered_at", lo)).alias("_x0"),
            days(pl.min_horizontal(left.fill_null(hi), hi)).alias("_x1"),
            days(pl.col("entered_at")).alias("_in"),
        )
        .filter(pl.col("_x1") > pl.col("_x0"))
        .with_columns((pl.col("_x1") - pl.col("_in")).alias("_age_out"))
    )
    edges = [7.0 * w for w in BUCKET_WEEKS] + [float("inf")]
    columns = []
    for b in range(len(BUCKET_WEEKS)):
        a = pl.max_horizontal(pl.col("_x0"), pl.col("_in") + edges[b])
        c = pl.min_horizontal(pl.col("_x1"), pl.col("_in") + edges[b + 1])
        total = (c - a).clip(lower_bound=0.0)
        late = pl.sum_horizontal(
            [
                (pl.min_horizontal(c, pl.lit(ze)) - pl.max_horizontal(a, pl.lit(zs))).clip(0.0)
                for zs, ze in zones
            ]
            or [pl.lit(0.0)]
        )
        columns += [(total - late).alias(f"_e{b}_0"), late.alias(f"_e{b}_1")]
    moved = left.is_not_null() & (left > lo) & (left <= hi) & pl.col("_target").is_not_null()
    bucket = sum(
        (pl.col("_age_out") >= edges[b]).cast(pl.Int64) for b in range(1, len(BUCKET_WEEKS))
    )
    in_zone = pl.any_horizontal(
        [(pl.col("_x1") >= zs) & (pl.col("_x1") <= ze) for zs, ze in zones] or [pl.lit(value=False)]
    )
    return frame.with_columns(
        *columns,
        pl.when(moved).then(bucket).alias("_bucket"),
        in_zone.cast(pl.Int64).alias("_zone"),
    )


def _counts(
    stays: pl.DataFrame,
    window: tuple[datetime, datetime],
    calendar: FiscalCalendar,
    groups: tuple[str, ...],
    targets: list[str],
) -> tuple[Floats, Floats]:
    """Exposure (G, S, B, Z) and moves (G, S, B, Z, targets); the last group is the pooled."""
    n_seg, n_stage, n_bucket = len(groups), len(targets) - 2, len(BUCKET_WEEKS)
    exposure = np.zeros((n_seg, n_stage, n_bucket, 2))
    moves = np.zeros((n_seg, n_stage, n_bucket, 2, n_stage + 2))
    start, end = window
    cells = _cells(stays, start, end, _zones(calendar, start, end))
    if cells.is_empty():
        return exposure, moves
    target_index = {t: i for i, t in enumerate(targets)}
    coded = cells.with_columns(
        pl.col("_group")
        .replace_strict(
            {g: i for i, g in enumerate(groups)}, default=n_seg - 1, return_dtype=pl.Int64
        )
        .alias("_g"),
        pl.col("stage").replace_strict(target_index, return_dtype=pl.Int64).alias("_s"),
        pl.col("_target")
        .replace_strict(target_index, default=None, return_dtype=pl.Int64)
        .alias("_t"),
    )
    names = [f"_e{b}_{z}" for b in range(n_bucket) for z in (0, 1)]
    sums = coded.group_by("_g", "_s").agg(pl.col(n).sum() for n in names)
    for row in sums.iter_rows():
        exposure[row[0], row[1]] = np.array(row[2:]).reshape(n_bucket, 2)
    hits = (
        coded.filter(pl.col("_bucket").is_not_null() & pl.col("_t").is_not_null())
        .group_by("_g", "_s", "_bucket", "_zone", "_t")
        .len()
    )
    for g, s, b, z, t, n in hits.iter_rows():
        moves[g, s, b, z, t] += n
    exposure[-1] = exposure[:-1].sum(axis=0)
    moves[-1] = moves[:-1].sum(axis=0)
    return exposure, moves


def _rate(events: Floats, exposure: Floats, parent: Floats) -> Floats:
    return np.asarray((events + PSEUDO_DAYS * parent) / (exposure + PSEUDO_DAYS), dtype=np.float64)


def _mix(moves: Floats, parent: Floats) -> Floats:
    total = moves.sum(axis=-1, keepdims=True)
    return np.asarray((moves + PSEUDO_MOVES * parent) / (total + PSEUDO_MOVES), dtype=np.float64)


def _fit(exposure: Floats, moves: Floats, prior: Chain | None) -> tuple[Floats, Floats]:
    """Rates and destination mixes, each cell pulled toward its parent (or toward `prior`)."""
    events = moves.sum(axis=-1)
    if prior is not None:
        return _rate(events, exposure, prior.rate), _mix(moves, prior.destination)
    n_stage = exposure.shape[1]
    lost = np.zeros(n_stage + 2)
    lost[-1] = 1.0  # a stage no deal ever left: its (unused) mix says lost
    company_events, company_exposure, company_moves = events[-1], exposure[-1], moves[-1]
    stage_exposure = company_exposure.sum(axis=(1, 2))
    stage_rate = np.divide(
        company_events.sum(axis=(1, 2)),
        stage_exposure,
        out=np.zeros(n_stage),
        where=stage_exposure > 0,
    )
    stage_moves = company_moves.sum(axis=(1, 2))
    stage_total = stage_moves.sum(axis=-1, keepdims=True)
    stage_mix = np.where(stage_total > 0, stage_moves / np.maximum(stage_total, 1), lost)
    bucket_rate = _rate(
        company_events.sum(axis=2), company_exposure.sum(axis=2), stage_rate[:, None]
    )
    bucket_mix = _mix(company_moves.sum(axis=2), stage_mix[:, None, :])
    zone_rate = _rate(company_events, company_exposure, bucket_rate[:, :, None])
    zone_mix = _mix(company_moves, bucket_mix[:, :, None, :])
    return _rate(events, exposure, zone_rate[None]), _mix(moves, zone_mix[None])


def stage_stays(snap: AsOf) -> pl.DataFrame:
    open_stages = snap.stages.filter(pl.col("status") == "open")["name"]
    outcome = {
        name: ("won" if status == "won" else "lost" if status == "lost" else name)
        for name, status in snap.stages.select("name", "status").iter_rows()
    }
    target = pl.col("next_stage").replace_strict(outcome, default=None, return_dtype=pl.String)
    return (
        snap.path.filter(pl.col("stage").is_in(open_stages.implode()))
        .join(
            snap.deals.select(pl.col("id").alias("opportunity_id"), "segment", "value"),
            on="opportunity_id",
            how="left",
        )
        .with_columns(target.alias("_target"))
    )


def _edges(stays: pl.DataFrame) -> dict[str, tuple[float, float]]:
    """Per segment, the value terciles of the deals that stayed in its stages."""
    deals = stays.unique("opportunity_id").filter(pl.col("segment").is_not_null())
    terciles = deals.group_by("segment").agg(
        pl.col("value").quantile(1 / 3).alias("low"), pl.col("value").quantile(2 / 3).alias("high")
    )
    return {
        segment: (float(low or 0.0), float(high or 0.0))
        for segment, low, high in terciles.iter_rows()
    }


def with_group(frame: pl.DataFrame, edges: dict[str, tuple[float, float]]) -> pl.DataFrame:
    """Add `_group`: "segment|band" by the segment's value terciles, or the pooled group."""
    low = pl.col("segment").replace_strict(
        {s: e[0] for s, e in edges.items()}, default=None, return_dtype=pl.Float64
    )
    high = pl.col("segment").replace_strict(
        {s: e[1] for s, e in edges.items()}, default=None, return_dtype=pl.Float64
    )
    band = (
        pl.when(pl.col("value") <= low)
        .then(pl.lit("0"))
        .when(pl.col("value") <= high)
        .then(pl.lit("1"))
        .otherwise(pl.lit("2"))
    )
    group = pl.when(low.is_not_null()).then(pl.concat_str(pl.col("segment"), pl.lit("|"), band))
    return frame.with_columns(group.fill_null(POOLED).alias("_group"))


def estimate(
    snap: AsOf,
    start: datetime,
    end: datetime,
    *,
    prior: Chain | None = None,
    stays: pl.DataFrame | None = None,
) -> Chain:
    """The chain fitted to the moves between `start` and `end` (at most the as-of moment)."""
    stays = stays if stays is not None else stage_stays(snap)
    stages = tuple(snap.stages.filter(pl.col("status") == "open")["name"].to_list())
    edges = prior.edges if prior is not None else _edges(stays)
    stays = with_group(stays, edges)
    groups = (
        prior.groups
        if prior is not None
        else (*sorted(set(stays["_group"].to_list()) - {POOLED}), POOLED)
    )
    window = (start, min(end, snap.at))
    exposure, moves = _counts(stays, window, snap.calendar, groups, [*stages, "won", "lost"])
    rate, destination = _fit(exposure, moves, prior)
    return Chain(groups, edges, stages, rate, destination, int(moves[-1].sum()))
