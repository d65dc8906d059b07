"""What was known when: the timeline forecasts read, and the as-of snapshot every method gets.

The no-peeking rule: a forecast for period P as of moment T uses only what was recorded at or
before T. It is enforced by structure, not by care in each method:

* `Timeline` holds the raw frames privately and answers only questions of the form "what did
  the CRM look like at moment m" (`Versions.state_at`, equal to `as_of`: the history after m is
  never read). It has no accessor for the current state.
* `AsOf` (built by `Timeline.as_of(T, P)`) is the only thing a method receives. It carries the
  open deals at T with their features, what was won in P by T, the stage stays known at T, the
  submissions made by T, and read-only access to the past: states at moments, outcomes of
  quarters and per-quarter statistics, each refused with `LookAhead` unless it was complete at
  or before T. A method cannot ask for a later moment, and the results of past moments are
  themselves as-of reconstructions, so nothing recorded after T can reach a forecast.

Amounts are in the base currency at the rate in force on the moment's date. `value` is the
amount a forecast counts: the deal's amount or, when it has none, the mean won deal size of the
trailing year in its segment (0 when nothing was won yet), all as known at the moment.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final, TypeVar

import polars as pl

from revdesk.core.clock import end_of_day, ensure_utc
from revdesk.core.errors import InvalidInput
from revdesk.core.fiscal import FiscalCalendar, FiscalPeriod
from revdesk.core.money import Money
from revdesk.crm.asof import MONEY, UTC_MICROS
from revdesk.forecast.book import DAY_US, open_book, stage_table, with_value
from revdesk.forecast.versions import Versions
from revdesk.pipeline.flow import stage_path
from revdesk.pipeline.report import CrmFrames

__all__ = [
    "DAY_US",
    "SUBMISSION_FRAME",
    "AsOf",
    "LookAhead",
    "QuarterStats",
    "Timeline",
]

NO_ACCOUNT: Final = "(no account)"
SUBMISSION_FRAME: Final = {
    "id": pl.Int64(),
    "period": pl.String(),
    "user_id": pl.Int64(),
    "kind": pl.String(),
    "commit": MONEY,
    "best_case": MONEY,
    "currency": pl.String(),
    "reason": pl.String(),
    "submitted_at": UTC_MICROS,
    "submitted_by_id": pl.Int64(),
    "supersedes_id": pl.Int64(),
}
_T = TypeVar("_T")


class LookAhead(RuntimeError):
    """A forecast asked for something that was not known at its as-of moment (a bug)."""


@dataclass(frozen=True)
class QuarterStats:
    """How a past quarter went, seen from the same point in it as the forecast's moment.

    At `moment` (the quarter's start plus the forecast's offset): `won_so_far` (won, closing in
    the quarter), `pipeline` (value of open deals whose close date is on or before the quarter
    end). At the quarter end: `from_pipeline` (won in the quarter by those open deals),
    `other` (won in the quarter by every other deal: created later, pulled in, or without a
    close date) and `actual` = won so far + from pipeline + other, up to deals that were won at
    `moment` and reopened. `created_after` is the part of `other` won by deals created after
    `moment`: what a method that scores every open deal has to add for deals not yet created.
    """

    quarter: FiscalPeriod
    moment: datetime
    won_so_far: float
    pipeline: float
    from_pipeline: float
    other: float
    created_after: float
    actual: float


class _Lru(OrderedDict[object, object]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or(self, key: object, compute: Callable[[], _T]) -> _T:
        if key in self:
            self.move_to_end(key)
            return self[key]  # type: ignore[return-value]
        value = compute()
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value


class Timeline:
    """The CRM's past, readable one moment at a time; see the module docstring."""

    def __init__(
        self,
        data: CrmFrames,
        calendar: FiscalCalendar,
        *,
        now: datetime,
        submissions: pl.DataFrame | None = None,
    ) -> None:
        self.calendar = calendar
        self.now = ensure_utc(now, where="timeline")
        self.base_currency = data.rates.base
        self.stages = stage_table(data.stages)
        self.users = data.users.select("id", "name", "manager_id", "role")
        self.opportunity_count = data.opportunities.height
        first = data.opportunities["created_at"].min()
        self.first_created: datetime | None = first if isinstance(first, datetime) else None
        self.__versions = Versions(
            data.opportunities, data.history, data.stages, keep=("account_id", "currency")
        )
        self.__rates = data.rates
        self.__segments = data.accounts.select(pl.col("id").alias("account_id"), "segment")
        self.__path = _global_path(data.history, data.stages, self.now)
        empty = pl.DataFrame(schema=SUBMISSION_FRAME)
        self.__submissions = (submissions if submissions is not None else empty).sort(
            "submitted_at", "id"
        )
        self.__states = _Lru(6)
        self.__books = _Lru(512)
        self.__won = _Lru(512)
        self.__stats = _Lru(2048)
        self._memo = _Lru(1024)  # trained models and past forecasts (calibration)

    def as_of(self, at: datetime, period: FiscalPeriod) -> AsOf:
        """The snapshot a forecast of `period` as of `at` is computed from."""
        moment = ensure_utc(at, where="as-of moment")
        if moment > self.now:
            raise InvalidInput(f"as-of {moment:%Y-%m-%d} is in the future")
        return AsOf(self, moment, period)

    # Everything below answers for one moment, from what was recorded up to that moment.

    def _state(self, at: datetime) -> pl.DataFrame:
        return self.__states.get_or(at, lambda: self._compute_state(at))

    def _compute_state(self, at: datetime) -> pl.DataFrame:
        raw = (
            self.__versions.state_at(at)
            .join(self.__segments, on="account_id", how="left")
            .with_columns(
                pl.col("segment").fill_null(NO_ACCOUNT),
                pl.lit(at.date()).alias("_day"),
            )
        )
        unknown = raw.filter(pl.col("stage").is_not_null() & pl.col("status").is_null())
        if unknown.height:
            names = ", ".join(unknown["stage"].unique().sort())
            raise InvalidInput(f"stage(s) not in the stages table: {names}")
        based = self.__rates.to_base_frame(
            raw, amount="amount", currency="currency", on="_day", out="amount_base"
        ).drop("_day", "account_id", "currency")
        return with_value(based, at)

    def _book(self, at: datetime) -> pl.DataFrame:
        return self.__books.get_or(at, lambda: open_book(self._state(at), self.stages, at))

    def _closed(self, at: datetime, quarter: FiscalPeriod) -> pl.DataFrame:
        def compute() -> pl.DataFrame:
            in_quarter = pl.col("close_date").is_between(quarter.start, quarter.end)
            return (
                self._state(at)
                .filter(pl.col("is_closed") & in_quarter)
                .select("id", "amount_base", "is_won", "owner_id")
            )

        return self.__won.get_or((at, quarter.label), compute)

    def _won(self, at: datetime, quarter: FiscalPeriod) -> pl.DataFrame:
        return self._closed(at, quarter).filter(pl.col("is_won")).select("id", "amount_base")

    def _won_with_owner(self, at: datetime, quarter: FiscalPeriod) -> pl.DataFrame:
        return self._closed(at, quarter).filter(pl.col("is_won")).select("owner_id", "amount_base")

    def _quarter_stats(self, quarter: FiscalPeriod, offset_days: int) -> QuarterStats:
        key = (quarter.label, offset_days)
        return self.__stats.get_or(key, lambda: self._compute_stats(quarter, offset_days))

    def _compute_stats(self, quarter: FiscalPeriod, offset_days: int) -> QuarterStats:
        day = min(quarter.start + timedelta(days=offset_days), quarter.end)
        moment, end = end_of_day(day), end_of_day(quarter.end)
        won_then = self._won(moment, quarter)
        book = self._book(moment)
        pipeline = book.filter(pl.col("close_date") <= quarter.end)
        won_end = self._won(end, quarter).with_columns(pl.col("amount_base").cast(pl.Float64))
        actual = float(won_end["amount_base"].sum())
        known = pl.concat([won_then["id"], pipeline["id"]])
        from_pipeline = won_end.filter(pl.col("id").is_in(pipeline["id"].implode()))
        before = won_end.filter(pl.col("id").is_in(known.implode()))
        existing = self._state(moment)["id"].implode()
        created_after = won_end.filter(~pl.col("id").is_in(existing))
        return QuarterStats(
            quarter=quarter,
            moment=moment,
            won_so_far=float(won_then["amount_base"].cast(pl.Float64).sum()),
            pipeline=float(pipeline["value"].sum()),
            from_pipeline=float(from_pipeline["amount_base"].sum()),
            other=actual - float(before["amount_base"].sum()),
            created_after=float(created_after["amount_base"].sum()),
            actual=actual,
        )

    def _path(self, at: datetime) -> pl.DataFrame:
        """Stage stays as `stage_path(history, stages, at)` gives them, plus `next_stage`."""
        gone = pl.col("left_at") > at
        return self.__path.filter(pl.col("entered_at") <= at).with_columns(
            pl.when(gone).then(None).otherwise(pl.col("left_at")).alias("left_at"),
            pl.when(gone).then(None).otherwise(pl.col("next_stage")).alias("next_stage"),
        )

    def _submissions(self, at: datetime) -> pl.DataFrame:
        return self.__submissions.filter(pl.col("submitted_at") <= at)

    def actual(self, period: FiscalPeriod) -> Decimal | None:
        """Won in `period` as known at its end; None while the period is not over."""
        end = end_of_day(period.end)
        if end > self.now:
            return None
        total = self._won(end, period)["amount_base"].sum()
        return total if isinstance(total, Decimal) else Decimal(0)

    def closed_count(self, period: FiscalPeriod) -> int:
        """Deals closed in a completed `period` as known at its end (0 while it is not over)."""
        end = end_of_day(period.end)
        return 0 if end > self.now else self._closed(end, period).height

    def won_by_owner(self, period: FiscalPeriod) -> pl.DataFrame:
        """`owner_id`, `won` (Float64 amount) of a completed period, as known at its end."""
        end = end_of_day(period.end)
        if end > self.now:
            raise InvalidInput(f"{period.label} is not over yet")
        return (
            self._won_with_owner(end, period)
            .group_by("owner_id")
            .agg(pl.col("amount_base").cast(pl.Float64).sum().alias("won"))
        )

    def has_deals_closing(self, at: datetime, period: FiscalPeriod) -> bool:
        """True when some deal known at `at` has its close date in `period`."""
        in_period = pl.col("close_date").is_between(period.start, period.end)
        return self._state(at).filter(in_period).height > 0

    def converter(self, day: date) -> Callable[[Decimal, str], Decimal]:
        """Convert an amount of a currency to the base currency at the rate in force on `day`."""
        rates = self.__rates

        def to_base(amount: Decimal, currency: str) -> Decimal:
            return rates.to_base(Money(amount, currency), day).amount

        return to_base

    def submissions_until(self, at: datetime) -> pl.DataFrame:
        """Every submission made at or before `at`."""
        return self._submissions(at)

    def outcomes(self, period: FiscalPeriod) -> pl.DataFrame:
        """`id` and `won` (bool) of every deal, as known at the end of `period` (must be over)."""
        end = end_of_day(period.end)
        if end > self.now:
            raise InvalidInput(f"{period.label} is not over yet")
        return self._won(end, period).select("id", pl.lit(value=True).alias("won"))


def _global_path(history: pl.DataFrame, stages: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Every stage stay up to `now`, with the stage that followed it."""
    path = stage_path(history, stages, now)
    return path.with_columns(
        pl.col("stage").shift(-1).over("opportunity_id").alias("next_stage")
    ).select("opportunity_id", "stage", "status", "rank", "entered_at", "left_at", "next_stage")


class AsOf:
    """What was known at `at`, for forecasting `period`: everything a method may read.

    `book` holds the deals open at `at` (one row each: stage, rank, probability, value,
    close_date, segment, owner_id and the model features), `deals` the id, owner, segment and
    value of every deal created by `at`, `won_so_far` the amount won by `at`
    with a close date in the period, `submissions` the calls made by `at`. The past is read
    through `book_at`, `won_in` and `quarter_stats`, which refuse anything not complete at `at`.
    """

    def __init__(self, timeline: Timeline, at: datetime, period: FiscalPeriod) -> None:
        self.at = at
        self.period = period
        self.calendar = timeline.calendar
        self.stages = timeline.stages
        self.users = timeline.users
        self.base_currency = timeline.base_currency
        self.offset_days = max(0, (at.date() - period.start).days)
        self.book = timeline._book(at)
        self.deals = timeline._state(at).select("id", "owner_id", "segment", "value")
        started = at.date() >= period.start
        won = timeline._won(at, period)["amount_base"].sum() if started else Decimal(0)
        self.won_so_far = won if isinstance(won, Decimal) else Decimal(0)
        self.submissions = timeline._submissions(at)
        self.__timeline = timeline
        self.__to_base = timeline.converter(at.date())
        self.__path: pl.DataFrame | None = None

    def to_base(self, amount: Decimal, currency: str) -> Decimal:
        """`amount` of `currency` in the base currency, at the rate in force on `at`'s date."""
        return self.__to_base(amount, currency)

    @property
    def horizon_days(self) -> float:
        """Days from `at` to the end of the period."""
        return (end_of_day(self.period.end) - self.at).total_seconds() / 86_400

    @property
    def path(self) -> pl.DataFrame:
        """Stage stays known at `at` (left_at and next_stage null while a stay goes on)."""
        if self.__path is None:
            self.__path = self.__timeline._path(self.at)
        return self.__path

    def _guard(self, moment: datetime, what: str) -> None:
        if moment > self.at:
            raise LookAhead(f"{what} at {moment.isoformat()} is after the as-of {self.at}")

    def book_at(self, moment: datetime) -> pl.DataFrame:
        """The deals open at an earlier `moment`, with their features as known then."""
        self._guard(moment, "open deals")
        return self.__timeline._book(moment)

    def won_in(self, quarter: FiscalPeriod) -> pl.DataFrame:
        """`id`, `amount_base` of the deals won in a past quarter, as known at its end."""
        end = end_of_day(quarter.end)
        self._guard(end, f"outcome of {quarter.label}")
        return self.__timeline._won(end, quarter)

    def closed_in(self, quarter: FiscalPeriod) -> pl.DataFrame:
        """`id`, `amount_base`, `is_won` of the deals closed in a past quarter, known at its end."""
        end = end_of_day(quarter.end)
        self._guard(end, f"outcome of {quarter.label}")
        return self.__timeline._closed(end, quarter)

    def earlier(self, quarter: FiscalPeriod) -> AsOf:
        """The snapshot for a quarter that ended by `at`, at the same offset into it as `at` is
        into the period (before its start when `at` is before the period's): what the methods
        would have been given then, to score them out of sample (`revdesk.forecast.calibrate`)."""
        self._guard(end_of_day(quarter.end), f"outcome of {quarter.label}")
        offset = timedelta(days=(self.at.date() - self.period.start).days)
        moment = end_of_day(min(quarter.start + offset, quarter.end))
        return AsOf(self.__timeline, moment, quarter)

    def memo(self, key: tuple[object, ...], compute: Callable[[], _T]) -> _T:
        """Reuse a result across snapshots; `key` must determine it (e.g. name its quarters)."""
        return self.__timeline._memo.get_or(key, compute)

    def quarter_stats(self, quarter: FiscalPeriod) -> QuarterStats:
        """A past quarter seen from the same offset into it as this forecast."""
        self._guard(end_of_day(quarter.end), f"statistics of {quarter.label}")
        return self.__timeline._quarter_stats(quarter, self.offset_days)

    def past_quarters(self, count: int) -> list[FiscalPeriod]:
        """Up to `count` quarters that ended before both `at` and the period, oldest first.

        Quarters that ended before the first opportunity are not history and are left out.
        """
        first = self.__timeline.first_created
        quarters: list[FiscalPeriod] = []
        quarter = self.calendar.previous(self.calendar.quarter(self.period.start))
        while len(quarters) < count and first is not None and end_of_day(quarter.end) >= first:
            if end_of_day(quarter.end) <= self.at:
                quarters.append(quarter)
            quarter = self.calendar.previous(quarter)
        return quarters[::-1]
