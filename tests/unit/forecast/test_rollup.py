"""The submission roll-up and the submitted-calls method."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import polars as pl

from revdesk.forecast.rollup import company_call, rollup, submitted
from revdesk.forecast.timeline import Timeline
from unit.forecast.handmade import CALENDAR, deal, eod
from unit.forecast.synthetic import NOW, materialize, submissions

USERS = materialize([]).users  # VP 1; managers 2 (reps 4, 5) and 3 (reps 6, 7)
P = "FY2027-Q1"


def when(day: int) -> datetime:
    return datetime(2026, 2, day, 12, tzinfo=UTC)


def same(amount: Decimal, currency: str) -> Decimal:
    return amount


def calls(*rows: tuple[int, str, str, str, int, int]) -> pl.DataFrame:
    """(user, kind, commit, best, day, by) rows for FY2027-Q1."""
    return submissions([(P, u, k, c, b, when(d), by) for u, k, c, b, d, by in rows])


def test_a_managers_rollup_sums_the_latest_call_of_each_report() -> None:
    table = rollup(
        USERS,
        calls(
            (4, "submit", "100", "150", 2, 4),
            (4, "submit", "120", "160", 3, 4),  # supersedes the first
            (5, "submit", "50", "80", 2, 5),
        ),
        P,
        same,
        root=2,
    )

    manager = table.filter(pl.col("user_id") == 2).row(0, named=True)
    assert manager["rollup_commit"] == Decimal("170.00")
    assert manager["rollup_best_case"] == Decimal("240.00")
    assert manager["source"] == "roll-up"
    assert table["user_id"].to_list() == [2, 4, 5]


def test_an_override_wins_over_the_reps_own_call_even_a_later_one() -> None:
    table = rollup(
        USERS,
        calls(
            (4, "submit", "100", "150", 2, 4),
            (4, "override", "60", "90", 3, 2),
            (4, "submit", "200", "250", 4, 4),
        ),
        P,
        same,
    )

    rep = table.filter(pl.col("user_id") == 4).row(0, named=True)
    assert rep["call_commit"] == Decimal("60.00")
    assert rep["own_commit"] == Decimal("200.00")
    assert rep["override_by"] == "Mona Manager"
    assert rep["source"] == "override"


def test_a_managers_own_submission_is_the_call_for_the_tree() -> None:
    table = rollup(
        USERS,
        calls((4, "submit", "100", "150", 2, 4), (2, "submit", "500", "600", 3, 2)),
        P,
        same,
    )

    manager = table.filter(pl.col("user_id") == 2).row(0, named=True)
    assert manager["call_commit"] == Decimal("500.00")
    assert manager["rollup_commit"] == Decimal("100.00")


def test_the_company_call_is_the_top_of_the_tree() -> None:
    table = rollup(
        USERS,
        calls((4, "submit", "100", "150", 2, 4), (6, "submit", "10", "20", 2, 6)),
        P,
        same,
    )

    call = company_call(table, USERS)

    assert call is not None
    assert (call.commit, call.best_case) == (Decimal("110.00"), Decimal("170.00"))
    assert table.filter(pl.col("user_id") == 7)["call_commit"].to_list() == [None]


def test_nobody_called_means_no_company_call() -> None:
    assert company_call(rollup(USERS, calls(), P, same), USERS) is None


def test_submitted_method_uses_only_calls_made_by_the_moment() -> None:
    data = materialize([deal(1, "2026-01-05", "100", "2026-03-01")])
    timeline = Timeline(
        data,
        CALENDAR,
        now=NOW,
        submissions=calls((4, "submit", "100", "150", 2, 4), (4, "submit", "900", "990", 20, 4)),
    )

    result = submitted(timeline.as_of(eod("2026-02-10"), CALENDAR.parse(P)))
    nothing = submitted(timeline.as_of(eod("2026-02-01"), CALENDAR.parse(P)))

    assert (result.point, result.best_case) == (Decimal("100.00"), Decimal("150.00"))
    assert not nothing.ran
    assert "no call submitted" in (nothing.skipped_reason or "")
