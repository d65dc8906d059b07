"""Use cases of forecasting: submit and override calls, roll them up, run, backtest, track accuracy.

Each use case takes an open session (the caller's unit of work); `submit_call` is the only one
that writes, and the CLI commits it. The read side loads the CRM frames in bulk once and builds
a `Timeline`, from which every forecast sees only what was known at its moment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from revdesk.core.clock import end_of_day, ensure_utc
from revdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from revdesk.core.fiscal import FiscalCalendar, FiscalPeriod, PeriodKind
from revdesk.core.money import Money, currency_code
from revdesk.crm import frames
from revdesk.crm.service import get_user_or_raise, manager_chain
from revdesk.forecast.accuracy import method_accuracy, submitter_accuracy, submitter_calls
from revdesk.forecast.backtest import Backtest, backtest, backtest_periods
from revdesk.forecast.categories import CategoryMap, category_columns, load_categories_file
from revdesk.forecast.model import Method, MethodResult, SubmissionKind
from revdesk.forecast.rollup import company_call, rollup
from revdesk.forecast.run import run_methods, side_by_side
from revdesk.forecast.tables import ForecastSubmission
from revdesk.forecast.timeline import SUBMISSION_FRAME, Timeline
from revdesk.pipeline.report import CrmFrames

__all__ = [
    "RollupView",
    "RunView",
    "check_period",
    "find_user",
    "forecast_accuracy",
    "forecast_backtest",
    "forecast_run",
    "load_timeline",
    "rollup_view",
    "submit_call",
]

_FUTURE_LIMIT = timedelta(days=366)


def load_timeline(
    session: Session, *, calendar: FiscalCalendar, base_currency: str, now: datetime
) -> Timeline:
    """Read the CRM and the submissions once and wrap them in a timeline."""
    data = CrmFrames(
        opportunities=frames.opportunities(session),
        history=frames.history(session),
        stages=frames.stages(session),
        users=frames.users(session),
        teams=frames.teams(session),
        accounts=frames.accounts(session),
        products=pl.DataFrame(schema=frames.PRODUCT_FRAME),
        quote_lines=pl.DataFrame(),
        contacts=pl.DataFrame(schema=frames.CONTACT_FRAME),
        rates=frames.rate_table(session, base_currency),
    )
    submissions = frames.read_frame(
        session,
        ForecastSubmission.__table__,  # type: ignore[arg-type]
        SUBMISSION_FRAME,
    )
    return Timeline(data, calendar, now=now, submissions=submissions)


def find_user(session: Session, ref: str, *, where: str) -> int:
    """A user's id from an id or an e-mail address; NotFound names the option."""
    text = ref.strip()
    if text.isdigit():
        try:
            return get_user_or_raise(session, int(text)).id
        except NotFound as exc:
            raise NotFound(exc.message, where=where) from None
    users = frames.users(session).filter(pl.col("email").str.to_lowercase() == text.lower())
    if users.is_empty():
        raise NotFound(f"no user with id or e-mail {ref!r}", where=where)
    return int(users["id"][0])


def _quarter(calendar: FiscalCalendar, label: str) -> FiscalPeriod:
    period = calendar.parse(label)
    if period.kind is not PeriodKind.QUARTER:
        raise InvalidInput(f"{label!r} is not a fiscal quarter (e.g. FY2027-Q1)", where="--period")
    return period


def submit_call(
    session: Session,
    *,
    calendar: FiscalCalendar,
    period: str,
    user_id: int,
    by_id: int,
    commit: Decimal,
    best_case: Decimal,
    currency: str,
    at: datetime,
    reason: str | None = None,
) -> ForecastSubmission:
    """Record a call (a user for their own tree) or an override (a manager above them)."""
    quarter = _quarter(calendar, period)
    get_user_or_raise(session, user_id)
    get_user_or_raise(session, by_id)
    if commit < 0 or best_case < 0:
        raise InvalidInput("commit and best case cannot be negative")
    if best_case < commit:
        raise InvalidInput(f"best case {best_case} is below commit {commit}")
    code = currency_code(currency)
    kind = SubmissionKind.SUBMIT
    note = (reason or "").strip() or None
    if by_id != user_id:
        if by_id not in {manager.id for manager in manager_chain(session, user_id)}:
            raise PermissionDenied(
                f"user {by_id} is not a manager of user {user_id}; only a manager above a "
                "person may override their call"
            )
        if note is None:
            raise InvalidInput("an override needs a reason", where="--reason")
        kind = SubmissionKind.OVERRIDE
    previous = session.scalars(
        select(ForecastSubmission.id)
        .where(
            (ForecastSubmission.period == quarter.label) & (ForecastSubmission.user_id == user_id)
        )
        .order_by(ForecastSubmission.submitted_at.desc(), ForecastSubmission.id.desc())
        .limit(1)
    ).first()
    row = ForecastSubmission(
        period=quarter.label,
        user_id=user_id,
        kind=kind,
        commit=commit,
        best_case=best_case,
        currency=code,
        reason=note,
        submitted_at=ensure_utc(at, where="submission time"),
        submitted_by_id=by_id,
        supersedes_id=previous,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class RollupView:
    """A tree's calls at a moment, and the company's call (the tops of every tree)."""

    period: FiscalPeriod
    at: datetime
    table: pl.DataFrame
    company_commit: Decimal | None
    company_best_case: Decimal | None


def rollup_view(
    session: Session,
    *,
    calendar: FiscalCalendar,
    base_currency: str,
    period: str,
    at: datetime,
    manager_id: int | None = None,
) -> RollupView:
    """The roll-up of `manager_id`'s tree (or of every tree) for `period` as of `at`."""
    quarter = _quarter(calendar, period)
    users = frames.users(session)
    submissions = frames.read_frame(
        session,
        ForecastSubmission.__table__,  # type: ignore[arg-type]
        SUBMISSION_FRAME,
    )
    calls = submissions.filter((pl.col("submitted_at") <= at) & (pl.col("period") == quarter.label))
    rates = frames.rate_table(session, base_currency)

    def to_base(amount: Decimal, currency: str) -> Decimal:
        return rates.to_base(Money(amount, currency), at.date()).amount

    table = rollup(users, calls, quarter.label, to_base, root=manager_id)
    company = company_call(rollup(users, calls, quarter.label, to_base), users)
    return RollupView(
        quarter,
        at,
        table,
        company.commit if company else None,
        company.best_case if company else None,
    )


@dataclass(frozen=True)
class RunView:
    """The methods side by side for one period and moment, with the category columns."""

    period: FiscalPeriod
    at: datetime
    base_currency: str
    results: list[MethodResult]
    table: pl.DataFrame
    categories: pl.DataFrame
    won_so_far: Decimal

    def sections(self) -> dict[str, pl.DataFrame]:
        """The named tables, for rendering and export."""
        return {"methods": self.table, "categories": self.categories}


def check_period(timeline: Timeline, period: FiscalPeriod, at: datetime) -> None:
    """Refuse a period outside the data, or a moment that cannot forecast it."""
    first = timeline.first_created
    if first is None:
        raise InvalidInput("there are no opportunities to forecast")
    if period.end < first.date():
        raise InvalidInput(
            f"{period.label} ends before the first opportunity (created {first:%Y-%m-%d})",
            where="--period",
        )
    if end_of_day(period.start) - _FUTURE_LIMIT > timeline.now:
        raise InvalidInput(f"{period.label} starts more than a year from now", where="--period")
    if at < first:
        raise InvalidInput(
            f"as-of {at:%Y-%m-%d} is before the first opportunity (created {first:%Y-%m-%d})",
            where="--as-of",
        )
    if at.date() > period.end:
        raise InvalidInput(
            f"as-of {at:%Y-%m-%d} is after {period.label} ended ({period.end}); forecast it "
            "as of a day inside it, or backtest it with `revdesk forecast backtest`",
            where="--as-of",
        )
    if not timeline.has_deals_closing(at, period):
        raise InvalidInput(
            f"no deal closes in {period.label} as known at {at:%Y-%m-%d}", where="--period"
        )


def forecast_run(
    session: Session,
    *,
    calendar: FiscalCalendar,
    base_currency: str,
    period: str,
    at: datetime | None,
    now: datetime,
    methods: Sequence[Method],
    categories: Path | None = None,
) -> RunView:
    """Every chosen method for `period` as of `at` (default: now, or the period's last day)."""
    quarter = _quarter(calendar, period)
    timeline = load_timeline(session, calendar=calendar, base_currency=base_currency, now=now)
    moment = at if at is not None else now
    check_period(timeline, quarter, moment)
    mapping = (
        load_categories_file(categories, timeline.stages)
        if categories is not None
        else CategoryMap.from_stages(timeline.stages)
    )
    snap = timeline.as_of(moment, quarter)
    results = run_methods(snap, methods)
    in_period = snap.book.filter(pl.col("close_date").is_between(quarter.start, quarter.end))
    columns = category_columns(in_period, float(snap.won_so_far), mapping)
    return RunView(
        quarter, moment, base_currency, results, side_by_side(results), columns, snap.won_so_far
    )


def forecast_backtest(
    session: Session,
    *,
    calendar: FiscalCalendar,
    base_currency: str,
    periods: int,
    weeks: Sequence[int],
    methods: Sequence[Method],
    now: datetime,
    progress: Callable[[str], None] | None = None,
) -> Backtest:
    """Backtest the last `periods` completed quarters at each week in `weeks`."""
    timeline = load_timeline(session, calendar=calendar, base_currency=base_currency, now=now)
    chosen, notes = backtest_periods(timeline, periods)
    result = backtest(timeline, periods=chosen, weeks=weeks, methods=methods, progress=progress)
    return Backtest(
        result.periods,
        result.weeks,
        result.forecasts,
        result.summary,
        result.calibration,
        [*notes, *result.notes],
    )


def forecast_accuracy(
    session: Session,
    *,
    calendar: FiscalCalendar,
    base_currency: str,
    periods: int,
    weeks: Sequence[int],
    methods: Sequence[Method],
    now: datetime,
) -> tuple[dict[str, pl.DataFrame], list[str]]:
    """Each method's and each submitter's accuracy over the last `periods` quarters."""
    timeline = load_timeline(session, calendar=calendar, base_currency=base_currency, now=now)
    chosen, notes = backtest_periods(timeline, periods)
    result = backtest(timeline, periods=chosen, weeks=weeks, methods=methods)
    calls = submitter_calls(timeline, chosen, weeks)
    if calls.is_empty():
        notes.append("no forecast call was submitted for these quarters")
    sections = {
        "methods": method_accuracy(result.forecasts),
        "submitters": submitter_accuracy(calls),
        "calls": calls,
    }
    return sections, notes
