"""Day arithmetic of the generator against the fiscal calendar, and creation seasonality."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from revdesk.core.fiscal import FiscalCalendar
from revdesk.demo.model import PipelineParameters
from revdesk.demo.timeline import (
    creation_weights,
    day_number,
    day_of,
    month_end,
    quarter_end,
    quarter_start,
    weekday,
    window_start,
)

DAYS = [date(2023, 1, 1) + timedelta(days=i) for i in range(6 * 366)]


@pytest.mark.parametrize("start_month", [1, 2, 11])
def test_quarter_bounds_agree_with_the_fiscal_calendar_on_every_day(start_month: int) -> None:
    calendar = FiscalCalendar(start_month=start_month)
    numbers = np.array([day_number(d) for d in DAYS])

    firsts, lasts = quarter_start(numbers, start_month), quarter_end(numbers, start_month)

    for day, first, last in zip(DAYS, firsts.tolist(), lasts.tolist(), strict=True):
        period = calendar.quarter(day)
        assert (day_of(first), day_of(last)) == (period.start, period.end)


def test_month_end_and_weekday() -> None:
    days = np.array([day_number(date(2024, 2, 10)), day_number(date(2026, 12, 31))])

    assert [day_of(d) for d in month_end(days).tolist()] == [date(2024, 2, 29), date(2026, 12, 31)]
    assert weekday(np.array([day_number(date(2026, 11, 23))])).tolist() == [0]  # a Monday


def test_the_window_is_twelve_fiscal_quarters_ending_with_the_current_one() -> None:
    assert window_start(date(2026, 11, 23), FiscalCalendar(), 12) == date(2024, 2, 1)
    assert window_start(date(2026, 11, 23), FiscalCalendar(), 1) == date(2026, 11, 1)


def test_creation_weight_is_growth_times_month_times_weekend() -> None:
    params = PipelineParameters()
    monday = day_number(date(2024, 1, 1))  # a Monday in January: factor 1.05

    weights = creation_weights(monday, monday + 730, params)

    assert weights[0] == pytest.approx(1.05)
    assert weights[5] == pytest.approx(1.05 * params.weekend_factor * 1.25 ** (5 / 365.25))
    august = day_number(date(2025, 8, 4)) - monday  # a Monday in August, 581 days in
    assert weights[august] == pytest.approx(0.8 * 1.25 ** (august / 365.25))
