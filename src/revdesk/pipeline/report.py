"""The pipeline report: every metric for one as-of moment, assembled from raw CRM frames.

Pure: `CrmFrames` in (as read by `revdesk.crm.frames`), `PipelineReport` out. Everything is
computed from the as-of reconstruction at `at`, so a report for a past date shows exactly what
was known then (the history after `at` is never read).

Periods: the *current period* is the fiscal quarter containing `at`; coverage and the waterfall
are about deals closing in it, the waterfall running from its first day to `at`. Outcome metrics
(win rates, deal size, cycle, conversion) and pipeline created use the *trailing year*: the four
fiscal quarters ending with the current one, up to `at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from functools import cached_property

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.core.fiscal import FiscalCalendar, FiscalPeriod
from revdesk.core.fx import RateTable
from revdesk.crm.asof import FieldHistory, as_of_each, split_history
from revdesk.pipeline.deals import deals as deals_frame
from revdesk.pipeline.deals import main_products
from revdesk.pipeline.flow import slippage, stage_conversion, stage_path, time_in_stage
from revdesk.pipeline.metrics import (
    cohorts,
    coverage,
    outcomes,
    pipeline_by_stage,
    pipeline_created,
    velocity,
)
from revdesk.pipeline.waterfall import waterfall

KEEP = ("external_id", "account_id", "name", "type", "currency")
# The tracked fields the report reconstructs: no section reads a past forecast category, so its
# history (a quarter of all rows) is neither read nor split, and the snapshots' column is null.
REPORT_FIELDS = ("stage", "amount", "close_date", "owner")


@dataclass(frozen=True)
class CrmFrames:
    """The raw frames a report is computed from (see revdesk.crm.frames for their columns).

    `history` needs the rows of REPORT_FIELDS only (others are ignored).
    """

    opportunities: pl.DataFrame
    history: pl.DataFrame
    stages: pl.DataFrame
    users: pl.DataFrame
    teams: pl.DataFrame
    accounts: pl.DataFrame
    products: pl.DataFrame
    quote_lines: pl.DataFrame
    contacts: pl.DataFrame
    rates: RateTable

    @cached_property
    def main_products(self) -> pl.DataFrame:
        """Per opportunity, the product of its largest primary-quote line (computed once)."""
        return main_products(self.quote_lines, self.products)


@dataclass(frozen=True)
class PipelineReport:
    """Named result frames plus what they are about."""

    at: datetime
    period: FiscalPeriod
    trailing: tuple[FiscalPeriod, FiscalPeriod]
    base_currency: str
    by: tuple[str, ...]
    sections: dict[str, pl.DataFrame] = field(default_factory=dict)


def snapshot(data: CrmFrames, at: datetime) -> pl.DataFrame:
    """The deals frame as of `at`, amounts converted at the rate in force on `at`'s date.

    Only REPORT_FIELDS are reconstructed: the forecast_category column is null.
    """
    return snapshots(data, [at])[0]


def snapshots(
    data: CrmFrames, moments: Sequence[datetime], *, history: FieldHistory | None = None
) -> list[pl.DataFrame]:
    """`snapshot` at each moment, the history arranged once (pass `split_history` to share)."""
    split = history if history is not None else split_history(data.history, REPORT_FIELDS)
    states = as_of_each(data.opportunities, split, data.stages, moments, keep=KEEP)
    return [
        deals_frame(
            state,
            users=data.users,
            teams=data.teams,
            accounts=data.accounts,
            main_products=data.main_products,
            rates=data.rates,
            rate_day=moment.date(),
        )
        for state, moment in zip(states, moments, strict=True)
    ]


def current(data: CrmFrames, at: datetime) -> pl.DataFrame:
    """The deals frame of the current state (every field, tracked or not) at `at`."""
    status = data.stages.select(pl.col("name").alias("stage"), "status")
    return deals_frame(
        data.opportunities.join(status, on="stage", how="left"),
        users=data.users,
        teams=data.teams,
        accounts=data.accounts,
        main_products=data.main_products,
        rates=data.rates,
        rate_day=at.date(),
    )


def check_moment(data: CrmFrames, at: datetime, now: datetime) -> None:
    """Refuse an as-of moment before the first opportunity or in the future."""
    if data.opportunities.is_empty():
        raise InvalidInput("there are no opportunities to report on")
    first = data.opportunities["created_at"].min()
    assert isinstance(first, datetime)
    if at < first:
        raise InvalidInput(
            f"as-of {at.date().isoformat()} is before the first opportunity "
            f"(created {first.date().isoformat()})"
        )
    if at > now:
        raise InvalidInput(f"as-of {at.date().isoformat()} is in the future")


def build_report(
    data: CrmFrames,
    *,
    at: datetime,
    calendar: FiscalCalendar,
    by: Sequence[str] = (),
    targets: pl.DataFrame | None = None,
) -> PipelineReport:
    """Compute every section of the pipeline report as of `at`."""
    period = calendar.quarter(at.date())
    first_quarter = calendar.previous(calendar.previous(calendar.previous(period)))
    start, end = first_quarter.start, at.date()
    period_start = datetime.combine(period.start, time.min, tzinfo=UTC)
    split = split_history(data.history, REPORT_FIELDS)
    # the period contains `at`, so its start is not later
    now, before = snapshots(data, [at, period_start], history=split)
    path = stage_path(split.rows("stage"), data.stages, at)
    outcome = outcomes(now, start, end, calendar, by=by)
    sections = {
        "pipeline_by_stage": pipeline_by_stage(now, data.stages, calendar, by=by),
        "coverage": coverage(now, period, targets=targets, by=by),
        "outcomes": outcome,
        "velocity": velocity(now, outcomes(now, start, end, calendar, by=_no_period(by)), by=by),
        "stage_conversion": stage_conversion(
            now, path, data.stages, calendar, start=start, end=end, by=by
        ),
        "time_in_stage": time_in_stage(now, path, at, by=by),
        "slippage": slippage(now, by=by),
        "pipeline_created": pipeline_created(
            now, datetime.combine(start, time.min, tzinfo=UTC), at, calendar, by=by
        ),
        "waterfall": waterfall(
            before, now, t0=period_start, start=period.start, end=period.end, by=by
        ),
        "cohorts": cohorts(now, calendar, by=by),
    }
    return PipelineReport(at, period, (first_quarter, period), data.rates.base, tuple(by), sections)


def _no_period(by: Sequence[str]) -> list[str]:
    return [name for name in by if name != "period"]
