"""Approval analytics: cycle time, SLA breaches, volume and request outcomes from frames.

Pure and columnar: a frame of step instances (`STEP_FRAME`, one row per step of a request) and
one of requests (`REQUEST_FRAME`) in, Polars frames and dataclasses out::

    table = cycle_times(steps, Grouping.APPROVER, business_hours=windowed(calendar.windows))
    breaches = sla_breaches(steps, Grouping.STEP, as_of=utcnow())
    hours = step_durations(cycle_times(steps, Grouping.STEP))   # for `simulate`

Definitions (docs/approval-workflow.md, "Approval analytics"):

- A step's cycle time runs from `opened_at` to `decided_at`, in hours (wall clock, and business
  hours when a calendar function is given). Only steps a person decided count: `approved` and
  `rejected`. Carried-over, bypassed, skipped, waiting and pending steps are left out, since no
  approver spent time on them (or not yet).
- Per rule, a step counts once for each rule that required it; per approver, it counts for the
  approver whose decision closed it (`approver_id`).
- Median and mean as usual; p90 interpolates linearly between the closest ranks (numpy's
  default). Figures are rounded to 0.01 h.
- SLA breach: a decided step with a `due_at` breaches when `decided_at > due_at`; an open
  (`pending`) step breaches when `as_of > due_at`. A decision at exactly the due instant meets
  the SLA (the deadline is the last moment allowed). Open steps not yet due are left out of the
  rate (their outcome is unknown), as are steps without an SLA. Open steps have no deciding
  approver, so they count per step and rule, not per approver or week.
- Volume: decisions per approver and per ISO week (`2026-W47`) of `decided_at`.
- A request's end-to-end cycle time runs from `submitted_at` to `closed_at`, for closed requests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

import polars as pl

from revdesk.core.clock import ensure_utc
from revdesk.core.errors import InvalidInput

__all__ = [
    "REQUEST_FRAME",
    "STEP_FRAME",
    "BusinessHours",
    "CycleStats",
    "Grouping",
    "cycle_times",
    "end_to_end",
    "outcome_mix",
    "sla_breaches",
    "step_durations",
    "volume",
]

UTC_MICROS: Final = pl.Datetime("us", "UTC")
STEP_FRAME: Final[Mapping[str, pl.DataType]] = {
    "request_id": pl.Int64(),
    "quote_id": pl.Int64(),
    "step_id": pl.String(),
    "chain_id": pl.String(),
    "rules": pl.List(pl.String()),
    "approver_id": pl.Int64(),  # whose decision closed the step; null if none
    "opened_at": UTC_MICROS,
    "decided_at": UTC_MICROS,
    "due_at": UTC_MICROS,
    "status": pl.String(),
    "sla_hours": pl.Float64(),
}
REQUEST_FRAME: Final[Mapping[str, pl.DataType]] = {
    "request_id": pl.Int64(),
    "quote_id": pl.Int64(),
    "status": pl.String(),
    "submitted_at": UTC_MICROS,
    "closed_at": UTC_MICROS,
}
DECIDED: Final = ("approved", "rejected")
OPEN: Final = "pending"
_MICROS_PER_HOUR: Final = 3_600_000_000
_KEYS: Final = {"step": "step_id", "rule": "rule_id", "approver": "approver_id", "week": "week"}

BusinessHours = Callable[[pl.Series, pl.Series], pl.Series]
"""Business hours between two datetime columns, element by element, as a Float64 column
(`revdesk.approvals.analytics_hours` builds one from a business calendar)."""


class Grouping(StrEnum):
    """What the figures are grouped by."""

    STEP = "step"
    RULE = "rule"
    APPROVER = "approver"
    WEEK = "week"  # ISO week of the decision

    @property
    def key(self) -> str:
        """The key column of the grouped frame."""
        return _KEYS[self.value]


@dataclass(frozen=True, slots=True)
class CycleStats:
    """Count, median, p90 and mean of a set of durations, in hours (None when empty)."""

    count: int
    median: float | None
    p90: float | None
    mean: float | None


def _require(frame: pl.DataFrame, schema: Mapping[str, pl.DataType], name: str) -> None:
    """Refuse a frame that lacks a column the analytics read."""
    missing = [column for column in schema if column not in frame.columns]
    if missing:
        raise InvalidInput(f"the {name} frame lacks columns {', '.join(missing)}")


def _hours(start: str, end: str) -> pl.Expr:
    """Wall-clock hours from column `start` to column `end`."""
    return (pl.col(end) - pl.col(start)).dt.total_microseconds() / _MICROS_PER_HOUR


def _decided(steps: pl.DataFrame, business_hours: BusinessHours | None) -> pl.DataFrame:
    """Steps a person decided, with `hours` (and `business_hours`) from opening to decision."""
    _require(steps, STEP_FRAME, "steps")
    done = steps.filter(
        pl.col("status").is_in(DECIDED)
        & pl.col("opened_at").is_not_null()
        & pl.col("decided_at").is_not_null()
    ).with_columns(_hours("opened_at", "decided_at").alias("hours"))
    if business_hours is None:
        return done
    spent = business_hours(done["opened_at"], done["decided_at"]).cast(pl.Float64())
    return done.with_columns(spent.alias("business_hours"))


def _keyed(frame: pl.DataFrame, by: Grouping, moment: str = "decided_at") -> pl.DataFrame:
    """`frame` with the grouping key column (one row per rule when grouped by rule)."""
    if by is Grouping.RULE:
        return frame.explode("rules").rename({"rules": "rule_id"}).drop_nulls("rule_id")
    if by is Grouping.WEEK:
        week = pl.col(moment).dt.strftime("%G-W%V")
        return frame.filter(pl.col(moment).is_not_null()).with_columns(week.alias("week"))
    if by is Grouping.APPROVER:
        return frame.drop_nulls("approver_id")
    return frame


def _stats(column: str, prefix: str) -> list[pl.Expr]:
    """Median, p90 and mean of `column`, rounded to 0.01, named `<stat>_<prefix>`."""
    values = pl.col(column)
    return [
        values.median().round(2).alias(f"median_{prefix}"),
        values.quantile(0.9, "linear").round(2).alias(f"p90_{prefix}"),
        values.mean().round(2).alias(f"mean_{prefix}"),
    ]


def cycle_times(
    steps: pl.DataFrame, by: Grouping, *, business_hours: BusinessHours | None = None
) -> pl.DataFrame:
    """Per key of `by`: decisions and their median, p90 and mean cycle time in hours.

    Columns: the key, `count`, `median_hours`, `p90_hours`, `mean_hours`, and with a calendar
    `median_business_hours`, `p90_business_hours`, `mean_business_hours`.
    """
    done = _keyed(_decided(steps, business_hours), by)
    stats = [pl.len().alias("count"), *_stats("hours", "hours")]
    if business_hours is not None:
        stats += _stats("business_hours", "business_hours")
    return done.group_by(by.key).agg(stats).sort(by.key)


def _breached(as_of: datetime) -> pl.Expr:
    """Whether a step with an SLA breached it (see the module doc: the due instant is met)."""
    decided = pl.col("status").is_in(DECIDED) & (pl.col("decided_at") > pl.col("due_at"))
    late = (pl.col("status") == OPEN) & (pl.lit(as_of, dtype=UTC_MICROS) > pl.col("due_at"))
    return decided | late


def sla_breaches(steps: pl.DataFrame, by: Grouping, *, as_of: datetime) -> pl.DataFrame:
    """Per key of `by`: steps whose SLA outcome is known, how many breached, and the rate.

    Columns: the key, `with_sla`, `breached`, `open_breached` (still open and past due),
    `breach_rate` (breached / with_sla, rounded to 0.0001).
    """
    _require(steps, STEP_FRAME, "steps")
    moment = ensure_utc(as_of, where="as_of")
    known = steps.filter(
        pl.col("due_at").is_not_null()
        & (
            (pl.col("status").is_in(DECIDED) & pl.col("decided_at").is_not_null())
            | ((pl.col("status") == OPEN) & (pl.lit(moment, dtype=UTC_MICROS) > pl.col("due_at")))
        )
    ).with_columns(_breached(moment).alias("breached"))
    return (
        _keyed(known, by)
        .group_by(by.key)
        .agg(
            pl.len().alias("with_sla"),
            pl.col("breached").sum().cast(pl.Int64()).alias("breached"),
            (pl.col("status") == OPEN).sum().cast(pl.Int64()).alias("open_breached"),
        )
        .with_columns((pl.col("breached") / pl.col("with_sla")).round(4).alias("breach_rate"))
        .sort(by.key)
    )


def volume(steps: pl.DataFrame, by: Grouping) -> pl.DataFrame:
    """Per approver or ISO week (`by`): decisions, approvals and rejections.

    Carried-over and bypassed steps are not decisions of an approver and are left out.
    """
    if by not in (Grouping.APPROVER, Grouping.WEEK):
        raise InvalidInput(f"volume is per approver or per week, not per {by}", where="--by")
    done = _keyed(_decided(steps, None), by)
    return (
        done.group_by(by.key)
        .agg(
            pl.len().alias("decisions"),
            (pl.col("status") == "approved").sum().cast(pl.Int64()).alias("approved"),
            (pl.col("status") == "rejected").sum().cast(pl.Int64()).alias("rejected"),
        )
        .sort(by.key)
    )


def outcome_mix(requests: pl.DataFrame) -> pl.DataFrame:
    """Requests per status (pending, approved, rejected, ...) and their share of all requests.

    Columns: `status`, `requests`, `share` (rounded to 0.0001), most frequent first.
    """
    _require(requests, REQUEST_FRAME, "requests")
    total = max(requests.height, 1)
    return (
        requests.group_by("status")
        .agg(pl.len().alias("requests"))
        .with_columns((pl.col("requests") / total).round(4).alias("share"))
        .sort(["requests", "status"], descending=[True, False])
    )


def end_to_end(
    requests: pl.DataFrame, *, business_hours: BusinessHours | None = None
) -> tuple[CycleStats, CycleStats | None]:
    """Submit-to-close cycle time of the closed requests: wall clock, and business hours."""
    _require(requests, REQUEST_FRAME, "requests")
    closed = requests.filter(pl.col("closed_at").is_not_null())
    wall = closed.select(_hours("submitted_at", "closed_at").alias("hours"))
    if business_hours is None:
        return _cycle(wall), None
    business = business_hours(closed["submitted_at"], closed["closed_at"]).cast(pl.Float64())
    return _cycle(wall), _cycle(business.alias("hours").to_frame())


def _cycle(frame: pl.DataFrame) -> CycleStats:
    row = frame.select(pl.len().alias("count"), *_stats("hours", "hours")).row(0, named=True)
    return CycleStats(row["count"], row["median_hours"], row["p90_hours"], row["mean_hours"])


def step_durations(by_step: pl.DataFrame) -> dict[str, Decimal]:
    """Median hours per step_id from `cycle_times(..., Grouping.STEP)`, for `simulate`.

    Business hours when the frame has them (policy SLAs are in business hours), else wall clock.
    """
    column = (
        "median_business_hours" if "median_business_hours" in by_step.columns else "median_hours"
    )
    cent = Decimal("0.01")
    return {
        step: Decimal(repr(hours)).quantize(cent, ROUND_HALF_UP)
        for step, hours in by_step.select("step_id", column).drop_nulls().iter_rows()
    }
