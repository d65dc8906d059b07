"""Business hours: hand-computed deadlines across nights, weekends, holidays and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

import pytest

from revdesk.approvals.calendar import BusinessCalendar, calendar_from_data, load_calendar_file
from revdesk.core.errors import InvalidInput

NINE_TO_FIVE = BusinessCalendar()  # Monday to Friday, 09:00-17:00 UTC


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_hours_within_the_same_day() -> None:
    # given Monday 2026-03-02 10:00 UTC, when 3 business hours are added, then 13:00 the same day
    assert NINE_TO_FIVE.add_business_hours(utc(2026, 3, 2, 10), Decimal(3)) == utc(2026, 3, 2, 13)


def test_hours_roll_over_the_night() -> None:
    # given Monday 15:00: 2 h to 17:00, the remaining 6 h from Tuesday 09:00 -> 15:00
    assert NINE_TO_FIVE.add_business_hours(utc(2026, 3, 2, 15), Decimal(8)) == utc(2026, 3, 3, 15)


def test_hours_skip_the_weekend() -> None:
    # given Friday 2026-03-06 16:00: 1 h on Friday, 3 h on Monday -> Monday 12:00
    assert NINE_TO_FIVE.add_business_hours(utc(2026, 3, 6, 16), Decimal(4)) == utc(2026, 3, 9, 12)


def test_a_start_outside_hours_starts_at_the_next_opening() -> None:
    # given Saturday 20:00, when 1.5 h are added, then Monday 10:30
    moment = NINE_TO_FIVE.add_business_hours(utc(2026, 3, 7, 20), Decimal("1.5"))
    assert moment == utc(2026, 3, 9, 10, 30)


def test_holidays_are_skipped() -> None:
    # given Thursday 2026-12-24 16:00 with Christmas a holiday: 1 h on the 24th, the weekend,
    # then 7 h on Monday the 28th -> 16:00
    calendar = BusinessCalendar(holidays=frozenset({date(2026, 12, 25)}))
    assert calendar.add_business_hours(utc(2026, 12, 24, 16), Decimal(8)) == utc(2026, 12, 28, 16)


def test_local_hours_follow_daylight_saving_time() -> None:
    # given New York 09:00-17:00; on Friday 2026-03-06 (EST, UTC-5) 16:00 local = 21:00 UTC;
    # DST starts Sunday 03-08, so Monday 09:00 local = 13:00 UTC (EDT, UTC-4)
    calendar = BusinessCalendar(timezone="America/New_York")
    due = calendar.add_business_hours(utc(2026, 3, 6, 21), Decimal(3))
    # 1 h on Friday, 2 h on Monday: 11:00 EDT = 15:00 UTC
    assert due == utc(2026, 3, 9, 15)


def test_business_hours_between_counts_only_working_time() -> None:
    # given Friday 15:00 to Tuesday 10:00: 2 h Friday + 8 h Monday + 1 h Tuesday = 11 h
    assert NINE_TO_FIVE.business_hours_between(utc(2026, 3, 6, 15), utc(2026, 3, 10, 10)) == 11


def test_business_hours_between_across_dst_and_a_holiday() -> None:
    # given New York hours, Monday 2026-03-09 a holiday; from Friday 03-06 16:00 EST (21:00 UTC)
    # to Tuesday 03-10 10:00 EDT (14:00 UTC): 1 h Friday + 1 h Tuesday = 2 h
    calendar = BusinessCalendar(timezone="America/New_York", holidays=frozenset({date(2026, 3, 9)}))
    assert calendar.business_hours_between(utc(2026, 3, 6, 21), utc(2026, 3, 10, 14)) == 2


def test_the_two_functions_agree() -> None:
    # given a start and 13.25 business hours, then the hours between start and deadline are 13.25
    start = utc(2026, 3, 4, 11, 10)
    due = NINE_TO_FIVE.add_business_hours(start, Decimal("13.25"))
    assert NINE_TO_FIVE.business_hours_between(start, due) == Decimal("13.25")


def test_an_end_before_the_start_counts_zero() -> None:
    assert NINE_TO_FIVE.business_hours_between(utc(2026, 3, 4, 12), utc(2026, 3, 4, 11)) == 0


def test_calendar_from_data_reads_hours_and_holidays() -> None:
    calendar = calendar_from_data(
        {"timezone": "Europe/Berlin", "hours": {"mon": "08:30-12:00"}, "holidays": ["2026-03-09"]}
    )
    assert calendar.hours == MappingProxyType({0: (time(8, 30), time(12))})
    assert calendar.holidays == frozenset({date(2026, 3, 9)})
    # Monday 03-02 08:30 CET = 07:30 UTC; 4 h: 3.5 h that Monday, 0.5 h on Monday 03-16 (the
    # 9th is a holiday) -> 09:00 CET = 08:00 UTC
    assert calendar.add_business_hours(utc(2026, 3, 2, 7, 30), Decimal(4)) == utc(2026, 3, 16, 8)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown timezone 'Mars/Olympus'"),
        ({"hours": {"funday": "09:00-17:00"}}, "unknown weekday 'funday'"),
        ({"hours": {"mon": "17:00-09:00"}}, "'17:00-09:00' ends before it starts"),
        ({"hours": {"mon": "closed"}}, "the calendar has no working hours on any day"),
        ({"holidays": ["soon"]}, "holiday 'soon' is not a date"),
        ({"weekend": True}, "unknown keys ['weekend']"),
    ],
)
def test_bad_calendars_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        calendar_from_data(data)
    assert caught.value.message == message


def test_the_shipped_calendar_loads() -> None:
    path = Path(__file__).resolve().parents[3] / "examples" / "calendars" / "standard.yaml"
    calendar = load_calendar_file(path)
    assert calendar.timezone == "America/New_York"
    assert date(2026, 12, 25) in calendar.holidays
