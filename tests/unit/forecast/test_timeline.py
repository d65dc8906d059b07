"""The timeline and the as-of snapshot: what a method can and cannot read."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from revdesk.core.errors import InvalidInput
from revdesk.forecast.timeline import LookAhead, Timeline
from revdesk.pipeline.flow import stage_path
from unit.forecast.handmade import CALENDAR, deal, eod
from unit.forecast.synthetic import NOW, company, materialize

Q1 = CALENDAR.parse("FY2027-Q1")


def test_the_snapshot_refuses_to_read_after_its_moment() -> None:
    timeline = Timeline(materialize(company(200, seed=3)), CALENDAR, now=NOW)
    snap = timeline.as_of(eod("2026-03-01"), Q1)

    with pytest.raises(LookAhead):
        snap.book_at(eod("2026-03-02"))
    with pytest.raises(LookAhead):
        snap.won_in(Q1)  # the quarter is not over at the moment
    with pytest.raises(LookAhead):
        snap.quarter_stats(Q1)
    assert snap.book_at(eod("2026-02-01")).height > 0


def test_a_moment_in_the_future_is_refused() -> None:
    timeline = Timeline(materialize(company(50, seed=3)), CALENDAR, now=NOW)

    with pytest.raises(InvalidInput, match="in the future"):
        timeline.as_of(NOW + timedelta(days=1), Q1)


def test_past_quarters_are_the_completed_ones_before_the_period_with_data() -> None:
    deals = [deal(1, "2025-09-10", "100", "2025-12-01"), deal(2, "2026-01-10", "100", "2026-03-01")]
    timeline = Timeline(materialize(deals), CALENDAR, now=NOW)
    snap = timeline.as_of(eod("2026-03-01"), Q1)

    labels = [q.label for q in snap.past_quarters(8)]

    assert labels == ["FY2026-Q3", "FY2026-Q4"]  # nothing before the first deal (Sep 2025)


def test_stage_stays_at_a_moment_equal_stage_path_at_that_moment() -> None:
    data = materialize(company(300, seed=4))
    timeline = Timeline(data, CALENDAR, now=NOW)
    moment = eod("2025-10-15")
    snap = timeline.as_of(moment, CALENDAR.quarter(moment.date()))

    expected = stage_path(data.history, data.stages, moment).select(
        "opportunity_id", "stage", "entered_at", "left_at"
    )
    actual = snap.path.select("opportunity_id", "stage", "entered_at", "left_at")

    assert_frame_equal(
        actual.sort("opportunity_id", "entered_at"), expected.sort("opportunity_id", "entered_at")
    )


def test_a_missing_amount_is_valued_at_the_trailing_year_mean_won_deal() -> None:
    deals = [
        deal(1, "2025-06-01", "1000", "2025-08-01", ends=("2025-07-01", "Won")),
        deal(2, "2025-06-02", "3000", "2025-08-01", ends=("2025-07-02", "Won")),
        deal(3, "2025-06-03", "9999", "2025-08-01", ends=("2025-07-03", "Lost")),
        deal(4, "2026-01-05", "500", "2026-03-01", later=[("2026-01-06", "amount", "")]),
    ]
    for item in deals:  # an empty amount in history means "no amount"
        item.events = [(t, f, None if v == "" else v) for t, f, v in item.events]
    timeline = Timeline(materialize(deals), CALENDAR, now=NOW)

    book = timeline.as_of(eod("2026-02-01"), Q1).book

    row = book.filter(pl.col("id") == 4).row(0, named=True)
    assert row["amount_base"] is None
    assert row["value"] == pytest.approx(2000.0)  # mean of the two wins (fewer than 10: company)


def test_actual_is_known_only_once_the_period_is_over() -> None:
    deals = [deal(1, "2026-01-05", "250", "2026-03-01", ends=("2026-03-01", "Won"))]
    timeline = Timeline(materialize(deals), CALENDAR, now=NOW)

    assert timeline.actual(Q1) == Decimal("250")
    assert timeline.actual(CALENDAR.quarter(NOW.date())) is None
