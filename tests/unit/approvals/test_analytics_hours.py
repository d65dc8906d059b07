"""Business hours over columns: the columnar window walk against hand counts and a scalar sum.

The calendar here works Monday to Friday 09:00-17:00 UTC, and Wednesday 2026-11-18 is a holiday.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from revdesk.approvals.analytics_hours import per_pair, windowed
from revdesk.approvals.calendar import BusinessCalendar

HOLIDAY = date(2026, 11, 18)
UTC_MICROS = pl.Datetime("us", "UTC")


def windows(start_day: date) -> Iterator[tuple[datetime, datetime]]:
    for offset in range(400):
        day = start_day + timedelta(days=offset)
        if day.weekday() < 5 and day != HOLIDAY:
            yield (
                datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
                datetime(day.year, day.month, day.day, 17, tzinfo=UTC),
            )


def overlap_hours(start: datetime, end: datetime) -> float:
    """The scalar definition: the overlap of [start, end] with every window."""
    total = timedelta(0)
    for begin, finish in windows(start.date() - timedelta(days=1)):
        if begin >= end:
            break
        total += max(timedelta(0), min(finish, end) - max(begin, start))
    return total / timedelta(hours=1)


def moment(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_windowed_counts_working_hours_only() -> None:
    # given: (start, end) pairs and their hand-counted working hours
    cases = [
        (moment(16, 8), moment(16, 10), 1.0),  # Monday, opens at 09:00
        (moment(20, 16), moment(23, 10), 2.0),  # Friday 16:00 over the weekend to Monday 10:00
        (moment(16, 18), moment(16, 20), 0.0),  # Monday evening
        (moment(17, 16), moment(19, 10), 2.0),  # Tuesday to Thursday over the Wednesday holiday
        (moment(16, 12), moment(16, 10), 0.0),  # end before start
        (moment(16, 9, 15), moment(16, 9, 45), 0.5),
    ]
    start = pl.Series([c[0] for c in cases], dtype=UTC_MICROS)
    end = pl.Series([c[1] for c in cases], dtype=UTC_MICROS)
    # when
    hours = windowed(windows)(start, end)
    # then
    assert hours.to_list() == [c[2] for c in cases]


def test_windowed_keeps_nulls_and_row_order() -> None:
    # given
    start = pl.Series([moment(23, 9), moment(16, 9), None], dtype=UTC_MICROS)
    end = pl.Series([moment(23, 11), None, moment(16, 10)], dtype=UTC_MICROS)
    # when
    hours = windowed(windows)(start, end)
    # then
    assert hours.to_list() == [2.0, None, None]


def test_windowed_of_nothing_is_nothing() -> None:
    # given
    empty = pl.Series([], dtype=UTC_MICROS)
    # when / then
    assert windowed(windows)(empty, empty).to_list() == []


minutes = st.integers(min_value=0, max_value=30 * 24 * 60)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(minutes, minutes), min_size=1, max_size=20))
def test_windowed_agrees_with_the_scalar_overlap(pairs: list[tuple[int, int]]) -> None:
    # given: moments within a month from Sunday 2026-11-15, to the minute
    origin = datetime(2026, 11, 15, tzinfo=UTC)
    start = pl.Series([origin + timedelta(minutes=a) for a, _ in pairs], dtype=UTC_MICROS)
    end = pl.Series([origin + timedelta(minutes=b) for _, b in pairs], dtype=UTC_MICROS)
    # when
    columnar = windowed(windows)(start, end)
    scalar = per_pair(overlap_hours)(start, end)
    # then
    assert [round(h, 9) for h in columnar.to_list()] == [round(h, 9) for h in scalar.to_list()]


@settings(max_examples=40, deadline=None)
@given(pairs=st.lists(st.tuples(minutes, minutes), min_size=1, max_size=20))
def test_windowed_agrees_with_the_workflow_calendar_across_dst_and_holidays(
    pairs: list[tuple[int, int]],
) -> None:
    # given: New York hours (daylight saving ends 2026-11-01) with Thanksgiving off
    calendar = BusinessCalendar(
        timezone="America/New_York", holidays=frozenset({date(2026, 11, 26), date(2026, 11, 27)})
    )
    origin = datetime(2026, 10, 20, tzinfo=UTC)
    start = pl.Series([origin + timedelta(minutes=a * 2) for a, _ in pairs], dtype=UTC_MICROS)
    end = pl.Series([origin + timedelta(minutes=b * 2) for _, b in pairs], dtype=UTC_MICROS)
    # when
    columnar = windowed(calendar.windows)(start, end)
    scalar = per_pair(calendar.business_hours_between)(start, end)
    # then
    assert [round(h, 9) for h in columnar.to_list()] == [round(h, 9) for h in scalar.to_list()]
