"""Pipeline metrics against hand-computed cases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from revdesk.core.errors import InvalidInput
from revdesk.core.fiscal import FiscalCalendar
from revdesk.pipeline.metrics import (
    cohorts,
    coverage,
    outcomes,
    pipeline_by_stage,
    pipeline_created,
    velocity,
)

CAL = FiscalCalendar(start_month=2)
STAGES = pl.DataFrame(
    {
        "name": ["Discovery", "Proposal", "Negotiation", "Closed Won", "Closed Lost"],
        "sort_order": [1, 2, 3, 4, 5],
        "status": ["open", "open", "open", "won", "lost"],
    }
)
SCHEMA = {
    "id": pl.Int64,
    "stage": pl.String,
    "status": pl.String,
    "amount_base": pl.Decimal(38, 4),
    "close_date": pl.Date,
    "created_at": pl.Datetime("us", "UTC"),
    "closed_at": pl.Datetime("us", "UTC"),
    "close_date_pushes": pl.Int64,
    "rep": pl.String,
    "segment": pl.String,
}


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


def deal(i: int, stage: str, amount: str | None, close: date, **kw: Any) -> dict[str, Any]:
    status = {"Closed Won": "won", "Closed Lost": "lost"}.get(stage, "open")
    row = {
        "id": i,
        "stage": stage,
        "status": status,
        "amount_base": Decimal(amount) if amount is not None else None,
        "close_date": close,
        "created_at": at(2026, 2, 1),
        "closed_at": None,
        "close_date_pushes": 0,
        "rep": "Ann",
        "segment": "smb",
    }
    return row | kw


def frame(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=SCHEMA, orient="row")


# Q3 of FY2027 is Aug-Oct 2026.
DEALS = frame(
    deal(1, "Discovery", "100", date(2026, 9, 30), rep="Ann"),
    deal(2, "Proposal", "200", date(2026, 10, 15), rep="Bob", close_date_pushes=2),
    deal(3, "Proposal", None, date(2026, 12, 1), rep="Ann"),
    deal(
        4,
        "Closed Won",
        "400",
        date(2026, 8, 20),
        closed_at=at(2026, 8, 20),
        created_at=at(2026, 6, 21),
        rep="Ann",
        close_date_pushes=1,
    ),
    deal(
        5,
        "Closed Won",
        "600",
        date(2026, 9, 10),
        closed_at=at(2026, 9, 10),
        created_at=at(2026, 6, 12),
        rep="Bob",
    ),
    deal(6, "Closed Lost", "1000", date(2026, 9, 5), closed_at=at(2026, 9, 5), rep="Bob"),
)


def test_pipeline_by_stage_counts_open_deals_in_stage_order() -> None:
    result = pipeline_by_stage(DEALS, STAGES, CAL)

    assert result.rows() == [("Discovery", 1, Decimal(100)), ("Proposal", 2, Decimal(200))]


def test_pipeline_by_stage_sliced_by_rep_and_close_quarter() -> None:
    result = pipeline_by_stage(DEALS, STAGES, CAL, by=["rep", "period"])

    assert result.rows() == [
        ("Ann", "FY2027-Q3", "Discovery", 1, Decimal(100)),
        ("Ann", "FY2027-Q4", "Proposal", 1, Decimal(0)),
        ("Bob", "FY2027-Q3", "Proposal", 1, Decimal(200)),
    ]


def test_coverage_is_open_pipeline_over_the_target_still_to_win() -> None:
    # open closing in Q3: 100 + 200 = 300; won in Q3: 400 + 600 = 1000; target 1600
    period = CAL.parse("FY2027-Q3")
    targets = pl.DataFrame({"target": [Decimal(1600)]})

    row = coverage(DEALS, period, targets=targets).row(0, named=True)

    assert (row["open_pipeline"], row["won"], row["remaining"]) == (
        Decimal(300),
        Decimal(1000),
        Decimal(600),
    )
    assert row["coverage"] == pytest.approx(0.5)


def test_coverage_per_rep_uses_each_reps_target() -> None:
    targets = pl.DataFrame({"rep": ["Ann", "Bob"], "target": [Decimal(500), Decimal(1000)]})

    rows = coverage(DEALS, CAL.parse("FY2027-Q3"), targets=targets, by=["rep"]).rows(named=True)

    # Ann: open 100, won 400, remaining 100 -> 1.0; Bob: open 200, won 600, remaining 400 -> 0.5
    assert [(r["rep"], r["coverage"]) for r in rows] == [("Ann", 1.0), ("Bob", 0.5)]


def test_coverage_without_targets_is_null_not_zero() -> None:
    row = coverage(DEALS, CAL.parse("FY2027-Q3")).row(0, named=True)

    assert row["coverage"] is None
    assert row["open_pipeline"] == Decimal(300)


def test_outcomes_win_rates_deal_size_cycle_and_slippage() -> None:
    row = outcomes(DEALS, date(2026, 8, 1), date(2026, 10, 31), CAL).row(0, named=True)

    assert (row["won_deals"], row["lost_deals"]) == (2, 1)
    assert row["win_rate"] == pytest.approx(2 / 3)
    assert row["win_rate_by_value"] == pytest.approx(1000 / 2000)
    assert row["avg_deal_size"] == Decimal(500)
    # cycles of the won deals: 60 and 90 days
    assert row["cycle_days_mean"] == pytest.approx(75.0)
    assert row["cycle_days_median"] == pytest.approx(75.0)
    # pushes among the 3 closed deals: 1, 0, 0
    assert row["pushes_per_deal"] == pytest.approx(1 / 3)
    assert row["share_pushed"] == pytest.approx(1 / 3)


def test_outcomes_by_rep() -> None:
    rows = outcomes(DEALS, date(2026, 8, 1), date(2026, 10, 31), CAL, by=["rep"]).rows(named=True)

    assert [(r["rep"], r["won_deals"], r["lost_deals"], r["win_rate"]) for r in rows] == [
        ("Ann", 1, 0, 1.0),
        ("Bob", 1, 1, 0.5),
    ]


def test_velocity_is_open_deals_times_win_rate_times_size_over_cycle() -> None:
    result = outcomes(DEALS, date(2026, 8, 1), date(2026, 10, 31), CAL)

    row = velocity(DEALS, result).row(0, named=True)

    # 3 open x 2/3 x 500 / 75 days
    assert row["velocity_per_day"] == pytest.approx(3 * (2 / 3) * 500 / 75)


def test_pipeline_created_in_a_window_by_creation_quarter() -> None:
    rows = pipeline_created(DEALS, at(2026, 6, 1), at(2026, 6, 30), CAL, by=["period"]).rows()

    assert rows == [("FY2027-Q2", 2, Decimal(1000))]


def test_cohorts_by_creation_quarter() -> None:
    rows = cohorts(DEALS, CAL).rows(named=True)

    q1 = next(r for r in rows if r["cohort"] == "FY2027-Q1")
    q2 = next(r for r in rows if r["cohort"] == "FY2027-Q2")
    assert (q1["created"], q1["won"], q1["lost"], q1["open"]) == (4, 0, 1, 3)
    assert (q2["created"], q2["won"], q2["won_amount"], q2["conversion"]) == (
        2,
        2,
        Decimal(1000),
        1.0,
    )
    assert q1["win_rate"] == 0.0


def test_an_unknown_slice_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(InvalidInput, match="cannot slice by colour; use rep, team"):
        pipeline_by_stage(DEALS, STAGES, CAL, by=["colour"])
