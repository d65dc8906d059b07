"""Stage-weighted pipeline and historical conversion against hand-computed cases."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revdesk.forecast.model import Method
from revdesk.forecast.pipeline_methods import conversion, stage_weighted
from revdesk.forecast.timeline import Timeline
from unit.forecast.handmade import CALENDAR, deal, eod
from unit.forecast.synthetic import NOW, materialize

Q1 = CALENDAR.parse("FY2027-Q1")  # 2026-02-01 .. 2026-04-30


def test_stage_weighted_is_won_so_far_plus_probability_weighted_pipeline_in_the_period() -> None:
    deals = [
        deal(1, "2026-01-05", "1000", "2026-03-15", "Proposal"),  # 50% -> 500
        deal(2, "2026-01-06", "2000", "2026-04-30", "Negotiation"),  # 80% -> 1600
        deal(3, "2026-01-07", "5000", "2026-05-15"),  # closes next quarter -> 0
        deal(4, "2026-01-08", "300", "2026-02-28", ends=("2026-02-05", "Won")),  # won so far
        deal(5, "2025-12-01", "999", "2026-01-20", ends=("2026-01-20", "Won")),  # last quarter
        deal(6, "2026-02-20", "4000", "2026-03-01", "Negotiation"),  # created after T
        # 1000 at T; raised to 9000 after T, which the forecast must not see
        deal(
            7,
            "2026-01-09",
            "1000",
            "2026-03-10",
            "Proposal",
            later=[("2026-02-15", "amount", "9000")],
        ),
    ]
    timeline = Timeline(materialize(deals), CALENDAR, now=NOW)

    result = stage_weighted(timeline.as_of(eod("2026-02-10"), Q1))

    assert result.point == Decimal("2900.00")  # 300 + 500 + 1600 + 500
    probabilities = (
        dict(result.probabilities.iter_rows()) if result.probabilities is not None else {}
    )
    assert probabilities == {1: 0.5, 2: 0.8, 3: 0.0, 7: 0.5}


def conversion_company() -> Timeline:
    deals = [
        # FY2026-Q3 (Aug-Oct 2025), seen from its first day (end of 2025-08-01):
        deal(1, "2025-07-20", "1000", "2025-09-30", ends=("2025-09-20", "Won")),  # pipeline, won
        deal(2, "2025-07-21", "3000", "2025-10-15", ends=("2025-10-10", "Lost")),  # pipeline
        deal(3, "2025-08-15", "500", "2025-09-01", ends=("2025-09-01", "Won")),  # other: new
        # FY2026-Q4 (Nov 2025-Jan 2026), from the end of 2025-11-01:
        deal(4, "2025-10-20", "2000", "2025-12-15", ends=("2025-12-10", "Won")),  # pipeline, won
        deal(5, "2025-10-21", "2000", "2026-01-31", ends=("2026-01-25", "Lost")),  # pipeline
        deal(6, "2025-10-22", "1000", "2026-03-31", ends=("2025-12-20", "Won")),  # other: pulled in
        # FY2027-Q1, as of the end of 2026-02-01:
        deal(7, "2026-01-10", "4000", "2026-03-31"),  # pipeline
        deal(8, "2026-01-11", "2000", "2026-01-25"),  # overdue, still pipeline
        deal(9, "2026-01-12", "7000", "2026-06-30"),  # closes later: not pipeline
        deal(10, "2026-01-05", "100", "2026-02-01", ends=("2026-02-01", "Won")),  # won so far
    ]
    return Timeline(materialize(deals), CALENDAR, now=NOW)


def test_past_quarters_are_seen_from_the_same_offset() -> None:
    snap = conversion_company().as_of(eod("2026-02-01"), Q1)

    q3, q4 = (snap.quarter_stats(q) for q in snap.past_quarters(2))

    assert (q3.pipeline, q3.from_pipeline, q3.other, q3.actual) == (4000, 1000, 500, 1500)
    assert (q4.pipeline, q4.from_pipeline, q4.other, q4.actual) == (4000, 2000, 1000, 3000)
    assert (q3.created_after, q4.created_after) == (500, 0)


def test_conversion_is_won_so_far_plus_rate_times_pipeline_plus_usual_other_wins() -> None:
    snap = conversion_company().as_of(eod("2026-02-01"), Q1)

    result = conversion(snap)

    # rate = (1000 + 2000) / (4000 + 4000) = 0.375; other = (500 + 1000) / 2 = 750
    # 100 + 0.375 x (4000 + 2000) + 750 = 3100
    assert result.point == Decimal("3100.00")
    assert result.probabilities is not None
    assert dict(result.probabilities.iter_rows()) == {7: 0.375, 8: 0.375, 9: 0.0}


def test_conversion_without_two_past_quarters_is_left_out_with_the_reason() -> None:
    timeline = Timeline(
        materialize([deal(1, "2026-01-10", "4000", "2026-03-31")]), CALENDAR, now=NOW
    )

    result = conversion(timeline.as_of(eod("2026-02-01"), Q1))

    assert not result.ran
    assert result.method is Method.CONVERSION
    assert result.skipped_reason is not None
    assert "needs at least 2 completed quarters" in result.skipped_reason
    assert result.point is None


def test_a_period_that_has_not_started_counts_only_deals_closing_inside_it() -> None:
    q2 = CALENDAR.parse("FY2027-Q2")  # May-Jul 2026
    snap = conversion_company().as_of(eod("2026-02-01"), q2)

    assert snap.won_so_far == 0
    assert stage_weighted(snap).point == pytest.approx(Decimal("1400.00"))  # 7000 x 20%
