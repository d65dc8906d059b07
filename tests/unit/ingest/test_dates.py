"""Dates and timestamps in the forms exports write, and the day/month order detection."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from revdesk.core.errors import InvalidInput
from revdesk.ingest.dates import DateOrder, detect_date_order, parse_date, parse_datetime


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2024-02-03", None, date(2024, 2, 3)),
        ("2024-02-03 00:00:00", None, date(2024, 2, 3)),
        ("2024-02-03T10:15:00.000Z", None, date(2024, 2, 3)),
        ("02/03/24", DateOrder.MDY, date(2024, 2, 3)),
        ("02/03/24", DateOrder.DMY, date(2024, 3, 2)),
        ("2/3/2024", DateOrder.MDY, date(2024, 2, 3)),
        ("03.02.2024", DateOrder.DMY, date(2024, 2, 3)),
        ("31/01/99", DateOrder.DMY, date(1999, 1, 31)),
        ("2/3/2024", None, None),  # a locale date needs an order
        ("31/02/2024", DateOrder.DMY, None),
        ("2024-02-30", None, None),
        ("next week", None, None),
    ],
)
def test_dates_read_in_every_export_form(
    text: str, order: DateOrder | None, expected: date | None
) -> None:
    assert parse_date(pl.Series([text]), order).to_list() == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-10-28 20:45:25", datetime(2023, 10, 28, 20, 45, 25, tzinfo=UTC)),
        ("2023-10-28T20:45:25.000Z", datetime(2023, 10, 28, 20, 45, 25, tzinfo=UTC)),
        ("2023-10-28T20:45:25.5+02:00", datetime(2023, 10, 28, 18, 45, 25, 500000, tzinfo=UTC)),
        ("2/3/2024 10:15 AM", datetime(2024, 2, 3, 10, 15, tzinfo=UTC)),
        ("2/3/2024 12:05 am", datetime(2024, 2, 3, 0, 5, tzinfo=UTC)),
        ("2/3/2024 1:05 PM", datetime(2024, 2, 3, 13, 5, tzinfo=UTC)),
        ("2/3/2024, 14:30", datetime(2024, 2, 3, 14, 30, tzinfo=UTC)),
        ("2/3/2024 13:05 PM", None),
        ("2024-02-29T25:00:00Z", None),
    ],
)
def test_timestamps_are_utc_and_keep_their_offset(text: str, expected: datetime | None) -> None:
    assert parse_datetime(pl.Series([text]), DateOrder.MDY).to_list() == [expected]


def test_a_first_part_above_twelve_proves_day_first() -> None:
    assert detect_date_order([pl.Series(["01/02/24", "13/02/24", None])]) is DateOrder.DMY


def test_a_second_part_above_twelve_proves_month_first() -> None:
    assert detect_date_order([pl.Series(["01/02/24"]), pl.Series(["2/13/2024"])]) is DateOrder.MDY


def test_iso_dates_and_equal_parts_need_no_order() -> None:
    assert detect_date_order([pl.Series(["2024-02-03", "05/05/24"])]) is None


def test_ambiguous_dates_are_refused_asking_for_the_order() -> None:
    with pytest.raises(InvalidInput, match="--date-order"):
        detect_date_order([pl.Series(["02/03/24", "04/05/24"])])


def test_dates_in_both_orders_are_refused() -> None:
    with pytest.raises(InvalidInput, match="both day-first and month-first"):
        detect_date_order([pl.Series(["13/02/24", "02/13/24"])])
