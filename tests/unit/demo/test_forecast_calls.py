"""The demo company's forecast calls: moments, per-rep books as known then, calls and overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import polars as pl

from revdesk.demo.forecast_calls import CALL_WEEKS, CallBook, call_amounts, call_moments
from revdesk.demo.generator import CompanyFrames
from revdesk.demo.timeline import World

WORLD = World(100, date(2026, 3, 20), date(2026, 2, 1), 2, "USD")  # FY2027-Q1 = Feb-Apr 2026
USERS = pl.DataFrame(
    {"id": [10, 11, 12], "role": ["manager", "rep", "rep"], "manager_id": [None, 10, 10]},
    schema={"id": pl.Int64, "role": pl.String, "manager_id": pl.Int64},
)
RATES = pl.DataFrame(
    {
        "currency": ["EUR"],
        "base": ["USD"],
        "valid_from": [date(2026, 1, 1)],
        "rate": [Decimal("1.1")],
    },
    schema={
        "currency": pl.String,
        "base": pl.String,
        "valid_from": pl.Date,
        "rate": pl.Decimal(24, 10),
    },
)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


# id, owner, currency, created, (stage, category), amount, close date, later (day, stage, category)
DEALS = [
    (1, 11, "USD", "2026-01-20", ("Negotiation", "commit"), "1000", "2026-03-31",
     ("2026-03-10", "Closed Won", "closed")),
    (2, 11, "EUR", "2026-02-05", ("Proposal", "best_case"), "2000", "2026-04-15", None),
    (3, 11, "USD", "2026-01-21", ("Prospecting", "pipeline"), "500", "2026-05-20", None),
    (4, 12, "USD", "2026-01-10", ("Discovery", "pipeline"), "700", "2026-04-30",
     ("2026-02-20", "Closed Lost", "omitted")),
]  # fmt: skip


def frames() -> dict[str, pl.DataFrame]:
    """Opportunities (current state) and their history, as the demo writes them."""
    opportunities, history = [], []
    for number, owner, currency, created, (first, first_category), amount, close, later in DEALS:
        made = at(created)
        stage, category = first, first_category
        values = {"stage": stage, "forecast_category": category, "amount": amount}
        values |= {"close_date": close, "owner": str(owner)}
        history += [(field, None, value, made, number) for field, value in values.items()]
        closed = None
        if later is not None:
            day, new_stage, new_category = later
            closed = at(day)
            history += [("stage", first, new_stage, closed, number)]
            history += [("forecast_category", first_category, new_category, closed, number)]
            stage, category = new_stage, new_category
        opportunities.append(
            (number, owner, currency, made, closed, stage, category, Decimal(amount),
             date.fromisoformat(close))
        )  # fmt: skip
    opportunity_schema = {
        "id": pl.Int64,
        "owner_id": pl.Int64,
        "currency": pl.String,
        "created_at": pl.Datetime("us", "UTC"),
        "closed_at": pl.Datetime("us", "UTC"),
        "stage": pl.String,
        "forecast_category": pl.String,
        "amount": pl.Decimal(38, 2),
        "close_date": pl.Date,
    }
    history_schema = {
        "field": pl.String,
        "old_value": pl.String,
        "new_value": pl.String,
        "changed_at": pl.Datetime("us", "UTC"),
        "opportunity_id": pl.Int64,
    }
    hist = pl.DataFrame(history, schema=history_schema, orient="row").with_row_index("id", 1)
    return {
        "opportunities": pl.DataFrame(opportunities, schema=opportunity_schema, orient="row"),
        "opportunity_history": hist.with_columns(pl.col("id").cast(pl.Int64)),
    }


def test_reps_call_on_the_first_day_of_every_other_week_at_eight() -> None:
    moments = call_moments(WORLD)

    assert moments["period"].unique().to_list() == ["FY2027-Q1"]
    assert moments["quarter"].unique().to_list() == [0]
    assert moments["week"].to_list() == [1, 3, 5, 7]  # today is 2026-03-20
    assert moments["at"].to_list() == [
        at("2026-02-01", 8),
        at("2026-02-15", 8),
        at("2026-03-01", 8),
        at("2026-03-15", 8),
    ]
    assert CALL_WEEKS == (1, 3, 5, 7, 9, 11, 13)


def test_each_reps_book_is_what_the_crm_showed_that_morning_in_the_base_currency() -> None:
    book = CallBook(WORLD, USERS, RATES, seed=1)

    book.observe(frames())

    rows = book.books().select(
        "week", "owner_id", "won", "commit_open", "best_open", "pipeline_open", "open_deals"
    )
    assert rows.rows() == [
        (1, 11, 0.0, 1000.0, 0.0, 0.0, 1),  # deal 3 closes next quarter; deal 2 not created
        (1, 12, 0.0, 0.0, 0.0, 700.0, 1),
        (3, 11, 0.0, 1000.0, 2200.0, 0.0, 2),  # EUR 2,000 at 1.1
        (3, 12, 0.0, 0.0, 0.0, 700.0, 1),
        (5, 11, 0.0, 1000.0, 2200.0, 0.0, 2),  # rep 12 lost their only deal: no call
        (7, 11, 1000.0, 0.0, 2200.0, 0.0, 1),  # deal 1 won on 2026-03-10
    ]


def test_batches_add_up() -> None:
    whole = CallBook(WORLD, USERS, RATES, seed=1)
    whole.observe(frames())
    split = CallBook(WORLD, USERS, RATES, seed=1)
    parts = frames()
    for keep in ([1, 2], [3, 4]):
        split.observe(
            {
                "opportunities": parts["opportunities"].filter(pl.col("id").is_in(keep)),
                "opportunity_history": parts["opportunity_history"].filter(
                    pl.col("opportunity_id").is_in(keep)
                ),
            }
        )

    assert split.books().equals(whole.books())


def test_commit_is_won_plus_the_reps_share_of_their_read_of_the_quarter() -> None:
    books = pl.DataFrame(
        {
            "won": [100.0],
            "commit_open": [1000.0],
            "best_open": [2000.0],
            "pipeline_open": [4000.0],
            "prior": [2000.0],
            "ahead": [0.5],
            "commit": [0.8],
            "upside": [0.9],
            "reach": [0.2],
        }
    )

    commit, best = call_amounts(books, np.ones(1), np.array([1.1]))

    # read = 0.8 x 1000 + 0.5 x 2000 + 0.5 x (0.15 x 4000 + 0.25 x 2000) = 2350
    # commit = 100 + 0.8 x 2350 = 1980; best = 100 + 1.1 x (1000 + 0.9 x 2000 + 0.2 x 4000) = 4060
    assert (commit.tolist(), best.tolist()) == ([2000.0], [4100.0])


def test_best_case_is_never_below_commit() -> None:
    books = pl.DataFrame(
        {"won": [0.0], "commit_open": [1000.0], "best_open": [0.0], "pipeline_open": [0.0]}
    ).with_columns(prior=0.0, ahead=1.0, commit=1.2, upside=1.0, reach=0.0)

    commit, best = call_amounts(books, np.ones(1), np.ones(1))

    assert (commit.tolist(), best.tolist()) == ([1000.0], [1000.0])  # 960 and 1000 rounded


def test_calls_are_append_only_rows_and_overrides_come_from_the_manager(
    company: CompanyFrames,
) -> None:
    tables = company.tables
    book = CallBook(company.world, tables["users"], tables["exchange_rates"], seed=3)
    book.observe(tables)

    calls = book.frame(start=500)
    again = CallBook(company.world, tables["users"], tables["exchange_rates"], seed=3)
    again.observe(tables)

    assert calls.equals(again.frame(start=500))
    assert calls["id"].to_list() == list(range(500, 500 + calls.height))
    assert calls["submitted_at"].is_sorted()
    assert (calls["best_case"] >= calls["commit"]).all()
    overrides = calls.filter(pl.col("kind") == "override")
    managers = tables["users"].select(pl.col("id").alias("user_id"), "manager_id")
    assert overrides.height > 0
    assert overrides.join(managers, on="user_id")["manager_id"].equals(
        overrides["submitted_by_id"], check_names=False
    )
    assert overrides["reason"].is_not_null().all()
    own = calls.filter(pl.col("kind") == "submit")
    assert (own["user_id"] == own["submitted_by_id"]).all()
    previous = calls.select(
        "supersedes_id", pl.col("id").shift(1).over("user_id", "period").alias("expected")
    )
    assert previous["supersedes_id"].equals(previous["expected"], check_names=False)


def test_calls_never_come_from_after_their_moment(company: CompanyFrames) -> None:
    tables = company.tables
    book = CallBook(company.world, tables["users"], tables["exchange_rates"], seed=3)
    book.observe(tables)

    calls = book.frame(start=1)

    after = calls.select(
        pl.col("submitted_at") > pl.col("submitted_at").dt.truncate("1d") + pl.duration(hours=8)
    )
    assert after.to_series().all()  # the book was read at 08:00 that day, the call made later
    assert calls["submitted_at"].max() < datetime(2026, 11, 23, tzinfo=UTC)
