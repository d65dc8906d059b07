from datetime import UTC, date, datetime, timedelta
from typing import Literal

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from revdesk.core.errors import InvalidInput
from revdesk.core.fiscal import FiscalCalendar, FiscalPeriod, PeriodKind

FEB = FiscalCalendar(start_month=2, naming="end")
days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
calendars = st.builds(
    FiscalCalendar, st.integers(min_value=1, max_value=12), st.sampled_from(["end", "start"])
)


def test_defaults_are_february_and_end_naming() -> None:
    assert FiscalCalendar() == FEB


@pytest.mark.parametrize("bad", [0, 13, -1, True, 2.0])
def test_start_month_must_be_1_to_12(bad: int) -> None:
    with pytest.raises(InvalidInput, match="start month must be 1-12"):
        FiscalCalendar(start_month=bad)


def test_naming_must_be_end_or_start() -> None:
    with pytest.raises(InvalidInput, match="naming must be 'end' or 'start'"):
        FiscalCalendar(naming="middle")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        (FEB, date(2026, 1, 31), 2026),
        (FEB, date(2026, 2, 1), 2027),
        (FEB, date(2027, 1, 31), 2027),
        (FiscalCalendar(2, "start"), date(2026, 2, 1), 2026),
        (FiscalCalendar(2, "start"), date(2027, 1, 31), 2026),
        (FiscalCalendar(1, "end"), date(2026, 12, 31), 2026),
        (FiscalCalendar(1, "start"), date(2026, 1, 1), 2026),
        (FiscalCalendar(7, "end"), date(2026, 6, 30), 2026),
        (FiscalCalendar(7, "end"), date(2026, 7, 1), 2027),
        (FiscalCalendar(10, "start"), date(2026, 9, 30), 2025),
        (FiscalCalendar(12, "end"), date(2026, 12, 1), 2027),
    ],
)
def test_fiscal_year_follows_start_month_and_naming(
    calendar: FiscalCalendar, day: date, expected: int
) -> None:
    assert calendar.fiscal_year(day) == expected


def test_year_quarter_and_month_of_a_day() -> None:
    # given a February-start calendar / when asked about 15 March 2026
    day = date(2026, 3, 15)

    # then it is in FY2027, its first quarter (Feb-Apr) and second month (March)
    assert FEB.year(day) == FiscalPeriod(
        PeriodKind.YEAR, 2027, 0, date(2026, 2, 1), date(2027, 1, 31)
    )
    assert FEB.quarter(day) == FiscalPeriod(
        PeriodKind.QUARTER, 2027, 1, date(2026, 2, 1), date(2026, 4, 30)
    )
    assert FEB.month(day) == FiscalPeriod(
        PeriodKind.MONTH, 2027, 2, date(2026, 3, 1), date(2026, 3, 31)
    )


def test_labels() -> None:
    assert FEB.year(date(2026, 5, 1)).label == "FY2027"
    assert FEB.quarter(date(2027, 1, 31)).label == "FY2027-Q4"
    assert FEB.month(date(2027, 1, 31)).label == "FY2027-M12"
    assert str(FEB.month(date(2026, 2, 1))) == "FY2027-M01"


def test_quarter_ending_in_a_leap_february() -> None:
    # given a December-start calendar / then Q1 of FY2024 runs Dec 2023 - Feb 2024 (91 days)
    q1 = FiscalCalendar(12).quarter_period(2024, 1)

    assert (q1.start, q1.end, q1.days) == (date(2023, 12, 1), date(2024, 2, 29), 91)


def test_contains_and_days() -> None:
    q1 = FEB.quarter_period(2027, 1)

    assert q1.days == 89
    assert q1.contains(date(2026, 2, 1))
    assert q1.contains(date(2026, 4, 30))
    assert not q1.contains(date(2026, 5, 1))
    assert not q1.contains(date(2026, 1, 31))


def test_contains_refuses_a_datetime() -> None:
    with pytest.raises(InvalidInput, match="expected a date, not the datetime"):
        FEB.quarter_period(2027, 1).contains(datetime(2026, 3, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (date(2026, 2, 1), 1),
        (date(2026, 2, 7), 1),
        (date(2026, 2, 8), 2),
        (date(2026, 4, 30), 13),  # day 88 of an 89-day quarter
        (date(2026, 10, 30), 13),  # Aug-Oct has 92 days: day 90
        (date(2026, 10, 31), 14),  # day 91 starts a partial 14th week
    ],
)
def test_week_of_quarter(day: date, week: int) -> None:
    assert FEB.week_of_quarter(day) == week


def test_year_and_quarter_periods() -> None:
    assert FEB.year_period(2027).start == date(2026, 2, 1)
    assert FEB.quarter_period(2027, 4) == FiscalPeriod(
        PeriodKind.QUARTER, 2027, 4, date(2026, 11, 1), date(2027, 1, 31)
    )
    assert FiscalCalendar(2, "start").quarter_period(2026, 4).end == date(2027, 1, 31)


@pytest.mark.parametrize("bad", [0, 5])
def test_quarter_period_refuses_out_of_range(bad: int) -> None:
    with pytest.raises(InvalidInput, match="fiscal quarter must be 1-4"):
        FEB.quarter_period(2027, bad)


def test_month_period_refuses_out_of_range() -> None:
    with pytest.raises(InvalidInput, match="fiscal month must be 1-12"):
        FEB.month_period(2027, 13)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("FY2027", FiscalPeriod(PeriodKind.YEAR, 2027, 0, date(2026, 2, 1), date(2027, 1, 31))),
        (
            " fy2027-q1 ",
            FiscalPeriod(PeriodKind.QUARTER, 2027, 1, date(2026, 2, 1), date(2026, 4, 30)),
        ),
        (
            "FY2027-M03",
            FiscalPeriod(PeriodKind.MONTH, 2027, 3, date(2026, 4, 1), date(2026, 4, 30)),
        ),
        (
            "Fy2027-m12",
            FiscalPeriod(PeriodKind.MONTH, 2027, 12, date(2027, 1, 1), date(2027, 1, 31)),
        ),
    ],
)
def test_parse_accepts_the_three_forms(label: str, expected: FiscalPeriod) -> None:
    assert FEB.parse(label) == expected


@pytest.mark.parametrize(
    "bad", ["FY27-Q5", "FY2027-Q5", "FY2027-Q0", "FY2027-M13", "FY2027-M3", "2027", "FY2027Q1", ""]
)
def test_parse_refuses_other_text(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        FEB.parse(bad)

    assert str(caught.value) == (
        f"invalid fiscal period {bad!r}: expected FY2027, FY2027-Q1 or FY2027-M01"
    )


def test_parse_error_message_quotes_the_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        FEB.parse("FY27-Q5")

    assert str(caught.value) == (
        "invalid fiscal period 'FY27-Q5': expected FY2027, FY2027-Q1 or FY2027-M01"
    )


def test_next_and_previous_cross_year_boundaries() -> None:
    assert FEB.next(FEB.parse("FY2027-Q4")).label == "FY2028-Q1"
    assert FEB.previous(FEB.parse("FY2027-Q1")).label == "FY2026-Q4"
    assert FEB.next(FEB.parse("FY2027-M12")).label == "FY2028-M01"
    assert FEB.previous(FEB.parse("FY2027-M01")).label == "FY2026-M12"
    assert FEB.next(FEB.parse("FY2027")).label == "FY2028"
    assert FEB.previous(FEB.parse("FY2027")).label == "FY2026"


def test_quarters_between_includes_both_ends() -> None:
    quarters = FEB.quarters_between(date(2026, 1, 15), date(2026, 11, 1))

    assert [q.label for q in quarters] == [
        "FY2026-Q4",
        "FY2027-Q1",
        "FY2027-Q2",
        "FY2027-Q3",
        "FY2027-Q4",
    ]


def test_quarters_between_one_day() -> None:
    assert FEB.quarters_between(date(2026, 3, 1), date(2026, 3, 1)) == [FEB.quarter_period(2027, 1)]


def test_quarters_between_refuses_a_reversed_range() -> None:
    with pytest.raises(InvalidInput, match="start 2026-03-02 is after end 2026-03-01"):
        FEB.quarters_between(date(2026, 3, 2), date(2026, 3, 1))


@given(calendars, days)
def test_every_period_of_a_day_contains_it(calendar: FiscalCalendar, day: date) -> None:
    for period in (calendar.year(day), calendar.quarter(day), calendar.month(day)):
        assert period.contains(day)
        assert period.fiscal_year == calendar.fiscal_year(day)
        assert calendar.parse(period.label) == period


@given(calendars, days)
def test_periods_tile_without_gaps(calendar: FiscalCalendar, day: date) -> None:
    quarter = calendar.quarter(day)

    assert calendar.next(quarter).start == quarter.end + timedelta(days=1)
    assert calendar.previous(calendar.next(quarter)) == quarter
    assert 89 <= quarter.days <= 92
    assert 1 <= calendar.week_of_quarter(day) <= 14


@pytest.mark.parametrize("start_month", [1, 2, 7, 10, 12])
@pytest.mark.parametrize("naming", ["end", "start"])
def test_expressions_agree_with_the_calendar_every_day(
    start_month: int, naming: Literal["end", "start"]
) -> None:
    # given every day from 2023 to 2028 plus a null / when labelled in Polars
    calendar = FiscalCalendar(start_month, naming)
    every_day = pl.date_range(date(2023, 1, 1), date(2028, 12, 31), eager=True)
    frame = pl.DataFrame({"day": [*every_day.to_list(), None]}, schema={"day": pl.Date})

    out = frame.select(
        quarter=calendar.fiscal_quarter_expr("day"),
        year=calendar.fiscal_year_expr(pl.col("day")),
    )

    # then each label equals the per-day Python answer and the null stays null
    assert out.schema == pl.Schema({"quarter": pl.String, "year": pl.Int32})
    listed = every_day.to_list()
    assert out["quarter"].to_list() == [*(calendar.quarter(d).label for d in listed), None]
    assert out["year"].to_list() == [*(calendar.fiscal_year(d) for d in listed), None]
