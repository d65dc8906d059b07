"""Backtest protocol, option parsing, and accuracy tracking against hand-computed cases."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import pytest

from revdesk.core.errors import InvalidInput
from revdesk.forecast.accuracy import submitter_accuracy, submitter_calls, subtree
from revdesk.forecast.backtest import backtest, backtest_periods, moment, parse_periods, parse_weeks
from revdesk.forecast.model import Method
from revdesk.forecast.timeline import Timeline
from unit.forecast.handmade import CALENDAR, deal, eod
from unit.forecast.synthetic import NOW, materialize, submissions

Q4 = CALENDAR.parse("FY2026-Q4")  # 2025-11-01 .. 2026-01-31
Q1 = CALENDAR.parse("FY2027-Q1")  # 2026-02-01 .. 2026-04-30


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0,4", "between 1 and 13"),
        ("1,14", "between 1 and 13"),
        ("a,b", "not a list"),
        ("", "between"),
    ],
)
def test_bad_weeks_are_one_clear_error(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        parse_weeks(raw)

    assert caught.value.where == "--weeks"


def test_weeks_are_sorted_and_unique() -> None:
    assert parse_weeks("12, 4,1,4") == [1, 4, 12]


@pytest.mark.parametrize("value", [0, -1, 41])
def test_bad_periods_are_refused(value: int) -> None:
    with pytest.raises(InvalidInput, match="between 1 and 40"):
        parse_periods(value)


def test_week_n_is_the_end_of_the_first_day_plus_n_minus_one_weeks() -> None:
    assert moment(Q1, 1) == eod("2026-02-01")
    assert moment(Q1, 4) == eod("2026-02-22")


def company() -> Timeline:
    deals = [
        deal(1, "2025-10-01", "1000", "2025-12-01", "Proposal", ends=("2025-12-01", "Won")),
        deal(2, "2025-10-02", "500", "2025-12-15", ends=("2025-12-20", "Lost")),
        deal(3, "2026-01-10", "2000", "2026-03-01", "Negotiation", ends=("2026-03-01", "Won")),
        deal(4, "2026-01-11", "400", "2026-04-01", owner=5, ends=("2026-04-01", "Won")),
    ]
    calls = submissions(
        [
            ("FY2027-Q1", 4, "submit", "1500", "2500", datetime(2026, 2, 1, 8, tzinfo=UTC), 4),
            ("FY2027-Q1", 2, "submit", "3000", "3500", datetime(2026, 2, 1, 9, tzinfo=UTC), 2),
        ]
    )
    return Timeline(materialize(deals), CALENDAR, now=NOW, submissions=calls)


def test_backtest_periods_are_completed_quarters_with_closed_deals() -> None:
    periods, notes = backtest_periods(company(), 8)

    assert [p.label for p in periods] == ["FY2026-Q4", "FY2027-Q1"]
    assert notes == ["only 2 completed quarter(s) with closed deals; backtested those"]


def test_a_backtest_forecasts_each_quarter_as_of_each_week_and_scores_it() -> None:
    result = backtest(
        company(), periods=[Q4, Q1], weeks=[1], methods=[Method.STAGE_WEIGHTED, Method.SUBMITTED]
    )

    weighted = result.forecasts.filter(pl.col("method") == "stage_weighted")
    # FY2026-Q4 week 1 (end of 2025-11-01): deal 1 Proposal 1000 x 50%, deal 2 Discovery 500 x 20%
    # FY2027-Q1 week 1: deal 3 Negotiation 2000 x 80%, deal 4 Discovery 400 x 20%
    assert weighted["forecast"].to_list() == [Decimal("600.00"), Decimal("1680.00")]
    assert weighted["actual"].to_list() == [Decimal("1000.00"), Decimal("2400.00")]
    summary = result.summary.filter(pl.col("method") == "stage_weighted").row(0, named=True)
    assert summary["mape"] == pytest.approx((0.4 + 0.3) / 2)
    assert summary["bias"] == pytest.approx((-0.4 - 0.3) / 2)
    assert summary["brier"] == pytest.approx(
        ((0.5 - 1) ** 2 + 0.2**2 + (0.8 - 1) ** 2 + (0.2 - 1) ** 2) / 4
    )
    submitted = result.summary.filter(pl.col("method") == "submitted").row(0, named=True)
    assert submitted["periods"] == 1  # FY2027-Q1 only: commit 3000 (the manager's) vs 2400
    assert submitted["left_out"] == 1
    assert submitted["mape"] == pytest.approx(0.25)


def test_each_submitter_is_scored_against_their_own_tree() -> None:
    calls = submitter_calls(company(), [Q1], [1])

    rows = {r["submitter"]: r for r in calls.iter_rows(named=True)}
    # Rita (4) called 1500; her deals won 2000. Mona (2) called 3000 for reps 4 and 5: 2400.
    assert rows["Rita Rep"]["actual"] == 2000.0
    assert rows["Mona Manager"]["actual"] == 2400.0
    summary = {r["submitter"]: r for r in submitter_accuracy(calls).iter_rows(named=True)}
    assert summary["Rita Rep"]["bias"] == pytest.approx(-0.25)
    assert summary["Rita Rep"]["tendency"] == "calls low"
    assert summary["Mona Manager"]["bias"] == pytest.approx(0.25)
    assert summary["Mona Manager"]["tendency"] == "calls high"


def test_a_subtree_holds_everyone_below() -> None:
    users = materialize([]).users

    assert subtree(users, 1) == {1, 2, 3, 4, 5, 6, 7}
    assert subtree(users, 3) == {3, 6, 7}
