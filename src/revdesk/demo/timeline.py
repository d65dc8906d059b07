"""Time for the vectorised generator: moments as int64 microseconds, days as int64 day numbers.

Both count from 1970-01-01 UTC, so a day number times `US_PER_DAY` is that day's midnight. The
fiscal helpers work on whole arrays and agree with `revdesk.core.fiscal.FiscalCalendar`.

    >>> int(quarter_end(np.array([day_number(date(2026, 3, 15))]), 2)[0]) == day_number(
    ...     date(2026, 4, 30))
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from revdesk.core.fiscal import FiscalCalendar
from revdesk.demo.model import PipelineParameters

US_PER_DAY = 86_400_000_000
US_PER_HOUR = 3_600_000_000
NEVER = np.int64(2**62)
"""A moment later than any simulated one: 'this never happens'."""
_EPOCH = date(1970, 1, 1)

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class World:
    """What one run simulates: `scale` opportunities created from `start` up to `today`.

    `today` is the simulated present: every history row is earlier than its midnight (UTC),
    and open deals are open as of that moment.
    """

    scale: int
    today: date
    start: date
    fiscal_start_month: int
    base_currency: str

    @property
    def today_day(self) -> int:
        """Day number of today."""
        return day_number(self.today)

    @property
    def start_day(self) -> int:
        """Day number of the first day of the window."""
        return day_number(self.start)

    @property
    def today_us(self) -> int:
        """Today's midnight in microseconds."""
        return self.today_day * US_PER_DAY

    @property
    def start_us(self) -> int:
        """The window's first midnight in microseconds."""
        return self.start_day * US_PER_DAY


def day_number(day: date) -> int:
    """Return the number of days from 1970-01-01 to `day`."""
    return (day - _EPOCH).days


def day_of(number: int) -> date:
    """Return the date of day number `number`."""
    return _EPOCH + timedelta(days=number)


def moment_of(micros: int) -> datetime:
    """Return the aware UTC datetime of `micros` microseconds since the epoch."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)


def window_start(today: date, calendar: FiscalCalendar, quarters: int) -> date:
    """Return the first day of the fiscal quarter `quarters - 1` quarters before today's."""
    period = calendar.quarter(today)
    for _ in range(quarters - 1):
        period = calendar.previous(period)
    return period.start


def month_index(days: Ints) -> Ints:
    """Months since January 1970 of each day number."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_start_day(months: Ints) -> Ints:
    """Day number of day 1 of each month (months since January 1970)."""
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def calendar_month(days: Ints) -> Ints:
    """Calendar month 1-12 of each day number."""
    return month_index(days) % 12 + 1


def quarter_start(days: Ints, start_month: int) -> Ints:
    """First day of the fiscal quarter containing each day (fiscal year from `start_month`)."""
    months = month_index(days)
    return month_start_day(months - (months - (start_month - 1)) % 3)


def quarter_end(days: Ints, start_month: int) -> Ints:
    """Last day of the fiscal quarter containing each day."""
    months = month_index(days)
    return month_start_day(months - (months - (start_month - 1)) % 3 + 3) - 1


def month_end(days: Ints) -> Ints:
    """Last day of the calendar month containing each day."""
    return month_start_day(month_index(days) + 1) - 1


def weekday(days: Ints) -> Ints:
    """Day of the week of each day number, Monday 0 .. Sunday 6."""
    return (days + 3) % 7


def creation_weights(first: int, last: int, params: PipelineParameters) -> Floats:
    """Relative chance of a deal being created on each day first..last: growth x season x week."""
    days = np.arange(first, last + 1, dtype=np.int64)
    growth = (1.0 + params.annual_growth) ** ((days - first) / 365.25)
    season = np.asarray(params.month_seasonality)[calendar_month(days) - 1]
    weekend = np.where(weekday(days) >= 5, params.weekend_factor, 1.0)
    return np.asarray(growth * season * weekend, dtype=np.float64)


def creation_moments(
    rng: np.random.Generator, n: int, first: int, today: int, params: PipelineParameters
) -> Ints:
    """Draw `n` creation moments on days first..today-1, in business hours (8:00-19:00 UTC)."""
    weights = creation_weights(first, today - 1, params)
    days = first + rng.choice(weights.size, size=n, p=weights / weights.sum())
    hours = rng.uniform(8.0, 19.0, n)
    return np.asarray(days * US_PER_DAY + (hours * US_PER_HOUR).astype(np.int64), dtype=np.int64)


def business_time(rng: np.random.Generator, days: Ints) -> Ints:
    """A moment in business hours (8:00-19:00 UTC) on each of `days`."""
    hours = rng.uniform(8.0, 19.0, days.size)
    return np.asarray(days * US_PER_DAY + (hours * US_PER_HOUR).astype(np.int64), dtype=np.int64)


def to_days(micros: Ints) -> Ints:
    """Day number of each moment."""
    return np.floor_divide(micros, US_PER_DAY)


def from_days(days: Floats) -> Ints:
    """Moments from fractional day counts."""
    return np.asarray(np.round(days * US_PER_DAY), dtype=np.int64)
