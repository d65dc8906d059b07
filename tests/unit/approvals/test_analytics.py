"""Approval analytics against a small history computed by hand.

T0 is Monday 2026-11-16 09:00 UTC (ISO week 2026-W47). The steps, hours after T0:

    row req step     rules                    approver status       opened decided due
    s1  1   manager  discount-10              21       approved     0      2       8
    s2  1   vp       discount-20              22       approved     2      12      10  late
    s3  2   manager  discount-10              21       rejected     24     28      28  on time
    s4  2   vp       discount-20              -        skipped      -      -       -
    s5  3   manager  discount-10              21       carried_over -      100     -
    s6  3   finance  terms-60                 -        pending      100    -       110 late
    s7  3   legal    liability                -        pending      160    -       200 not due
    s8  4   manager  discount-10,margin-floor 23       approved     168    178     176 late
    s9  4   cfo      margin-floor             -        bypassed     168    170     -

`as_of` is T0 + 180 h. Decided cycle times: manager 2, 4, 10 h; vp 10 h.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest

from revdesk.approvals.analytics import (
    REQUEST_FRAME,
    STEP_FRAME,
    CycleStats,
    Grouping,
    cycle_times,
    end_to_end,
    outcome_mix,
    sla_breaches,
    step_durations,
    volume,
)
from revdesk.approvals.analytics_hours import per_pair
from revdesk.core.errors import InvalidInput

T0 = datetime(2026, 11, 16, 9, tzinfo=UTC)
AS_OF = T0 + timedelta(hours=180)


def at(hours: float | None) -> datetime | None:
    return None if hours is None else T0 + timedelta(hours=hours)


def steps_frame() -> pl.DataFrame:
    raw = [  # request, step, chain, rules, approver, status, opened, decided, due
        (1, "manager", "commercial", ["discount-10"], 21, "approved", 0, 2, 8),
        (1, "vp", "commercial", ["discount-20"], 22, "approved", 2, 12, 10),
        (2, "manager", "commercial", ["discount-10"], 21, "rejected", 24, 28, 28),
        (2, "vp", "commercial", ["discount-20"], None, "skipped", None, None, None),
        (3, "manager", "commercial", ["discount-10"], 21, "carried_over", None, 100, None),
        (3, "finance", "finance", ["terms-60"], None, "pending", 100, None, 110),
        (3, "legal", "legal", ["liability"], None, "pending", 160, None, 200),
        (
            4,
            "manager",
            "commercial",
            ["discount-10", "margin-floor"],
            23,
            "approved",
            168,
            178,
            176,
        ),
        (4, "cfo", "cfo", ["margin-floor"], None, "bypassed", 168, 170, None),
    ]
    rows = [
        (r, 10 + r, step, chain, rules, who, at(o), at(d), at(due), status, None)
        for r, step, chain, rules, who, status, o, d, due in raw
    ]
    return pl.DataFrame(rows, schema=dict(STEP_FRAME), orient="row")


def requests_frame() -> pl.DataFrame:
    raw = [(1, "approved", 0, 12), (2, "rejected", 24, 28), (3, "pending", 100, None)]
    raw += [(4, "approved", 168, 178), (5, "recalled", 50, 51)]
    rows = [(r, 10 + r, status, at(s), at(c)) for r, status, s, c in raw]
    return pl.DataFrame(rows, schema=dict(REQUEST_FRAME), orient="row")


def half_of_wall_clock(start: datetime, end: datetime) -> Decimal:
    """A stand-in calendar: every other hour is a business hour."""
    return Decimal((end - start).total_seconds()) / 7200


def test_cycle_time_per_step_counts_only_decided_steps() -> None:
    # when
    table = cycle_times(steps_frame(), Grouping.STEP)
    # then: manager 2, 4, 10 h -> median 4, p90 4 + 0.8 x 6 = 8.8, mean 16 / 3
    assert table.rows() == [("manager", 3, 4.0, 8.8, 5.33), ("vp", 1, 10.0, 10.0, 10.0)]
    assert table.columns == ["step_id", "count", "median_hours", "p90_hours", "mean_hours"]


def test_cycle_time_per_rule_counts_a_step_for_each_rule_that_required_it() -> None:
    # when
    table = cycle_times(steps_frame(), Grouping.RULE)
    # then
    assert table.rows() == [
        ("discount-10", 3, 4.0, 8.8, 5.33),
        ("discount-20", 1, 10.0, 10.0, 10.0),
        ("margin-floor", 1, 10.0, 10.0, 10.0),
    ]


def test_cycle_time_per_approver_is_for_the_approver_whose_decision_closed_the_step() -> None:
    # when
    table = cycle_times(steps_frame(), Grouping.APPROVER)
    # then: 21 decided in 2 h and 4 h -> median 3, p90 2 + 0.9 x 2 = 3.8, mean 3
    assert table.rows() == [
        (21, 2, 3.0, 3.8, 3.0),
        (22, 1, 10.0, 10.0, 10.0),
        (23, 1, 10.0, 10.0, 10.0),
    ]


def test_cycle_time_per_iso_week_of_the_decision() -> None:
    # when
    table = cycle_times(steps_frame(), Grouping.WEEK)
    # then: s1, s2, s3 decided in 2026-W47; s8 on Monday 2026-11-23, W48
    assert table.rows() == [("2026-W47", 3, 4.0, 8.8, 5.33), ("2026-W48", 1, 10.0, 10.0, 10.0)]


def test_business_hours_come_from_the_calendar_function() -> None:
    # when
    table = cycle_times(steps_frame(), Grouping.STEP, business_hours=per_pair(half_of_wall_clock))
    # then: manager 1, 2, 5 business hours
    assert table.select("step_id", "median_business_hours", "p90_business_hours").rows() == [
        ("manager", 2.0, 4.4),
        ("vp", 5.0, 5.0),
    ]
    assert table["mean_business_hours"].to_list() == [2.67, 5.0]


def test_sla_breaches_per_step_include_open_steps_past_due() -> None:
    # when
    table = sla_breaches(steps_frame(), Grouping.STEP, as_of=AS_OF)
    # then: s3 decided exactly at its due instant is not a breach; legal is open, not yet due
    assert table.rows() == [
        ("finance", 1, 1, 1, 1.0),
        ("manager", 3, 1, 0, 0.3333),
        ("vp", 1, 1, 0, 1.0),
    ]
    assert table.columns == ["step_id", "with_sla", "breached", "open_breached", "breach_rate"]


def test_sla_breaches_per_approver_count_their_decisions_only() -> None:
    # when
    table = sla_breaches(steps_frame(), Grouping.APPROVER, as_of=AS_OF)
    # then
    assert table.rows() == [(21, 2, 0, 0, 0.0), (22, 1, 1, 0, 1.0), (23, 1, 1, 0, 1.0)]


def test_an_open_step_is_not_a_breach_at_its_due_instant() -> None:
    # given: the finance step is due at T0 + 110 h
    due = T0 + timedelta(hours=110)
    # when
    on_the_dot = sla_breaches(steps_frame(), Grouping.STEP, as_of=due)
    after = sla_breaches(steps_frame(), Grouping.STEP, as_of=due + timedelta(microseconds=1))
    # then
    assert "finance" not in on_the_dot["step_id"].to_list()
    assert after.filter(step_id="finance").rows() == [("finance", 1, 1, 1, 1.0)]


def test_a_naive_as_of_is_refused() -> None:
    # when / then
    with pytest.raises(InvalidInput, match="has no timezone"):
        sla_breaches(steps_frame(), Grouping.STEP, as_of=datetime(2026, 11, 23))  # noqa: DTZ001


def test_volume_per_approver_and_per_week() -> None:
    # when
    people = volume(steps_frame(), Grouping.APPROVER)
    weeks = volume(steps_frame(), Grouping.WEEK)
    # then: carried-over (s5) and bypassed (s9) steps are nobody's decision
    assert people.rows() == [(21, 2, 1, 1), (22, 1, 1, 0), (23, 1, 1, 0)]
    assert weeks.rows() == [("2026-W47", 3, 2, 1), ("2026-W48", 1, 1, 0)]


def test_iso_weeks_follow_the_iso_year_at_new_year() -> None:
    # given: Friday 2027-01-01 belongs to 2026-W53, Monday 2027-01-04 to 2027-W01
    frame = (
        steps_frame()
        .head(2)
        .with_columns(
            pl.Series(
                "opened_at", [datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 4, tzinfo=UTC)]
            ),
            pl.Series(
                "decided_at",
                [datetime(2027, 1, 1, 1, tzinfo=UTC), datetime(2027, 1, 4, 3, tzinfo=UTC)],
            ),
        )
    )
    # when
    weeks = volume(frame, Grouping.WEEK)
    # then
    assert weeks.rows() == [("2026-W53", 1, 1, 0), ("2027-W01", 1, 1, 0)]


def test_volume_per_step_is_refused() -> None:
    # when / then
    with pytest.raises(InvalidInput, match="per approver or per week, not per step"):
        volume(steps_frame(), Grouping.STEP)


def test_outcome_mix_counts_requests_per_status() -> None:
    # when
    mix = outcome_mix(requests_frame())
    # then
    assert mix.rows() == [
        ("approved", 2, 0.4),
        ("pending", 1, 0.2),
        ("recalled", 1, 0.2),
        ("rejected", 1, 0.2),
    ]


def test_end_to_end_cycle_time_of_closed_requests() -> None:
    # when
    wall, business = end_to_end(requests_frame(), business_hours=per_pair(half_of_wall_clock))
    # then: 1, 4, 10, 12 h -> median 7, p90 10 + 0.7 x 2 = 11.4, mean 6.75
    assert wall == CycleStats(4, 7.0, 11.4, 6.75)
    assert business == CycleStats(4, 3.5, 5.7, 3.38)


def test_end_to_end_without_closed_requests_has_no_figures() -> None:
    # given
    open_only = requests_frame().filter(status="pending")
    # when
    wall, business = end_to_end(open_only)
    # then
    assert wall == CycleStats(0, None, None, None)
    assert business is None


def test_step_durations_are_median_hours_per_step_preferring_business_hours() -> None:
    # given
    wall = cycle_times(steps_frame(), Grouping.STEP)
    business = cycle_times(
        steps_frame(), Grouping.STEP, business_hours=per_pair(half_of_wall_clock)
    )
    # when / then
    assert step_durations(wall) == {"manager": Decimal("4.00"), "vp": Decimal("10.00")}
    assert step_durations(business) == {"manager": Decimal("2.00"), "vp": Decimal("5.00")}


def test_a_frame_without_a_needed_column_is_refused() -> None:
    # when / then
    with pytest.raises(InvalidInput, match="the steps frame lacks columns due_at"):
        sla_breaches(steps_frame().drop("due_at"), Grouping.STEP, as_of=AS_OF)


def test_an_empty_history_gives_empty_tables() -> None:
    # given
    empty = steps_frame().clear()
    # when / then
    assert cycle_times(empty, Grouping.STEP).height == 0
    assert sla_breaches(empty, Grouping.RULE, as_of=AS_OF).height == 0
    assert step_durations(cycle_times(empty, Grouping.STEP)) == {}
