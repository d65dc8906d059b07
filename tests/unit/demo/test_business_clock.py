"""The vectorised business clock agrees with the calendar, by hand and on random moments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from revdesk.approvals.calendar import BusinessCalendar
from revdesk.demo.business_clock import from_business, to_business


def micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000


def moment(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(value))


def test_friday_afternoon_plus_four_hours_is_monday_noon() -> None:
    start = micros(datetime(2026, 3, 6, 16, tzinfo=UTC))
    due = from_business(to_business(np.array([start])) + 4 * 3600)
    assert moment(due[0]) == datetime(2026, 3, 9, 12, tzinfo=UTC)


def test_a_weekend_moment_counts_as_the_end_of_friday() -> None:
    friday_end = micros(datetime(2026, 3, 6, 17, tzinfo=UTC))
    sunday = micros(datetime(2026, 3, 8, 11, tzinfo=UTC))
    assert to_business(np.array([sunday]))[0] == to_business(np.array([friday_end]))[0]


def test_agrees_with_the_calendar_on_random_moments() -> None:
    rng = np.random.default_rng(7)
    starts = micros(datetime(2026, 1, 1, tzinfo=UTC)) + rng.integers(0, 300 * 86_400, 200) * 10**6
    hours = rng.integers(1, 60, 200)
    due = from_business(to_business(starts) + hours * 3600)
    calendar = BusinessCalendar()
    for start, spent, got in zip(starts, hours, due, strict=True):
        assert moment(got) == calendar.add_business_hours(moment(start), Decimal(int(spent)))
