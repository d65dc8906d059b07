"""Stage flow (conversion, time in stage, skips) and the waterfall, against hand-computed cases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revdesk.core.fiscal import FiscalCalendar
from revdesk.pipeline.flow import slippage, stage_conversion, stage_path, time_in_stage
from revdesk.pipeline.waterfall import FLOWS, classify, reconciles, waterfall

CAL = FiscalCalendar(start_month=2)
STAGES = pl.DataFrame(
    {
        "name": ["Discovery", "Proposal", "Negotiation", "Closed Won", "Closed Lost"],
        "sort_order": [1, 2, 3, 4, 5],
        "status": ["open", "open", "open", "won", "lost"],
    }
)
UTC_US = pl.Datetime("us", "UTC")


def at(m: int, d: int) -> datetime:
    return datetime(2026, m, d, tzinfo=UTC)


def stage_history(*moves: tuple[int, str, datetime]) -> pl.DataFrame:
    rows = [
        {
            "id": n,
            "opportunity_id": opp,
            "field": "stage",
            "old_value": None,
            "new_value": stage,
            "changed_at": when,
        }
        for n, (opp, stage, when) in enumerate(moves, start=1)
    ]
    return pl.DataFrame(
        rows,
        schema={
            "id": pl.Int64,
            "opportunity_id": pl.Int64,
            "field": pl.String,
            "old_value": pl.String,
            "new_value": pl.String,
            "changed_at": UTC_US,
        },
    )


HISTORY = stage_history(
    (1, "Discovery", at(3, 1)),
    (1, "Negotiation", at(3, 11)),
    (1, "Proposal", at(3, 21)),
    (1, "Closed Won", at(4, 20)),
    (2, "Discovery", at(3, 1)),
    (2, "Proposal", at(3, 6)),
    (2, "Closed Lost", at(3, 26)),
    (3, "Discovery", at(3, 1)),
    (3, "Closed Lost", at(3, 3)),
    (4, "Proposal", at(3, 1)),
)
DEALS = pl.DataFrame(
    {
        "id": [1, 2, 3, 4],
        "status": ["won", "lost", "lost", "open"],
        "close_date": [date(2026, 4, 20), date(2026, 3, 26), date(2026, 3, 3), date(2026, 6, 30)],
        "close_date_pushes": [0, 1, 0, 3],
        "rep": ["Ann", "Ann", "Bob", "Bob"],
    },
)


def test_the_stage_path_marks_skips_and_steps_back() -> None:
    path = stage_path(HISTORY, STAGES, at(5, 1))

    moves = path.filter(pl.col("opportunity_id") == 1)["move"].to_list()
    assert moves == ["created", "skip", "back", "skip"]
    assert path.filter(pl.col("opportunity_id") == 2)["move"].to_list() == [
        "created",
        "forward",
        "forward",
    ]


def test_the_stage_path_ignores_what_happened_after_the_moment() -> None:
    path = stage_path(HISTORY, STAGES, at(3, 15))

    assert path.filter(pl.col("opportunity_id") == 1)["stage"].to_list() == [
        "Discovery",
        "Negotiation",
    ]
    assert path.filter(pl.col("opportunity_id") == 1)["left_at"].to_list()[-1] is None


def test_stage_conversion_counts_skipped_stages_as_passed() -> None:
    # closed deals: 1 won (reached all), 2 lost after Proposal, 3 lost in Discovery
    path = stage_path(HISTORY, STAGES, at(5, 1))

    rows = stage_conversion(
        DEALS, path, STAGES, CAL, start=date(2026, 3, 1), end=date(2026, 4, 30)
    ).rows(named=True)

    table = {r["stage"]: (r["reached"], r["advanced"], r["won"]) for r in rows}
    assert table == {"Discovery": (3, 2, 1), "Proposal": (2, 1, 1), "Negotiation": (1, 1, 1)}
    rates = {r["stage"]: (r["conversion_to_next"], r["stage_to_win"]) for r in rows}
    assert rates["Discovery"] == (pytest.approx(2 / 3), pytest.approx(1 / 3))
    assert rates["Negotiation"] == (1.0, 1.0)


def test_time_in_stage_of_completed_stays_and_current_age() -> None:
    path = stage_path(HISTORY, STAGES, at(4, 1))

    rows = {r["stage"]: r for r in time_in_stage(DEALS, path, at(4, 1)).rows(named=True)}

    # completed Discovery stays: 10, 5 and 2 days
    assert rows["Discovery"]["completed_stays"] == 3
    assert rows["Discovery"]["mean_days"] == pytest.approx(17 / 3)
    assert rows["Discovery"]["median_days"] == pytest.approx(5.0)
    # Proposal: deal 2 stayed 20 days; deal 4 (open) is in it since 1 March: 31 days at 1 April
    assert rows["Proposal"]["completed_stays"] == 1
    assert rows["Proposal"]["mean_days"] == pytest.approx(20.0)
    assert rows["Proposal"]["deals_in_stage"] == 1
    assert rows["Proposal"]["mean_age_days"] == pytest.approx(31.0)


def test_slippage_of_the_open_pipeline() -> None:
    row = slippage(DEALS).row(0, named=True)

    assert (row["open_deals"], row["pushes_per_deal"], row["pushed_3_or_more"]) == (1, 3.0, 1)


# -- waterfall -------------------------------------------------------------------------------

WSCHEMA = {
    "id": pl.Int64,
    "status": pl.String,
    "close_date": pl.Date,
    "amount_base": pl.Decimal(38, 4),
    "created_at": UTC_US,
    "closed_at": UTC_US,
    "rep": pl.String,
}
T0 = at(8, 1)
WINDOW = {"start": date(2026, 8, 1), "end": date(2026, 10, 31)}


def snap(*rows: tuple[Any, ...]) -> pl.DataFrame:
    return pl.DataFrame(
        [dict(zip(WSCHEMA, r, strict=True)) for r in rows], schema=WSCHEMA, orient="row"
    )


BEFORE = snap(
    (1, "open", date(2026, 9, 1), Decimal(100), at(6, 1), None, "Ann"),  # stays, grows to 150
    (2, "open", date(2026, 9, 1), Decimal(200), at(6, 1), None, "Ann"),  # won at 180
    (3, "open", date(2026, 10, 1), Decimal(300), at(6, 1), None, "Bob"),  # pushed to next qtr
    (4, "open", date(2026, 12, 1), Decimal(400), at(6, 1), None, "Bob"),  # pulled in
    (5, "open", date(2026, 9, 1), Decimal(500), at(6, 1), None, "Bob"),  # lost
)
AFTER = snap(
    (1, "open", date(2026, 9, 1), Decimal(150), at(6, 1), None, "Ann"),
    (2, "won", date(2026, 8, 20), Decimal(180), at(6, 1), at(8, 20), "Ann"),
    (3, "open", date(2026, 11, 15), Decimal(300), at(6, 1), None, "Bob"),
    (4, "open", date(2026, 10, 30), Decimal(400), at(6, 1), None, "Bob"),
    (5, "lost", date(2026, 9, 1), Decimal(500), at(6, 1), at(9, 1), "Bob"),
    (6, "open", date(2026, 10, 1), Decimal(60), at(8, 10), None, "Ann"),  # new
    (7, "won", date(2026, 9, 15), Decimal(70), at(8, 12), at(9, 15), "Ann"),  # new and won
)


def test_the_waterfall_flows_match_the_hand_computed_case() -> None:
    row = waterfall(BEFORE, AFTER, t0=T0, **WINDOW).row(0, named=True)

    assert {k: row[k] for k in FLOWS} == {
        "start": Decimal(1100),
        "new": Decimal(130),
        "pulled_in": Decimal(400),
        "increased": Decimal(50),
        "decreased": Decimal(20),
        "won": Decimal(250),
        "lost": Decimal(500),
        "pushed_out": Decimal(300),
        "end": Decimal(610),
    }
    assert reconciles(waterfall(BEFORE, AFTER, t0=T0, **WINDOW)).all()


def test_the_waterfall_reconciles_per_slice() -> None:
    flows = waterfall(BEFORE, AFTER, t0=T0, **WINDOW, by=["rep"])

    assert flows["rep"].to_list() == ["Ann", "Bob"]
    assert reconciles(flows).to_list() == [True, True]


def test_classify_names_each_deals_entry_and_exit() -> None:
    rows = classify(BEFORE, AFTER, t0=T0, **WINDOW).sort("id").select("id", "entry", "exit").rows()

    assert rows == [
        (1, None, None),
        (2, None, "won"),
        (3, None, "pushed_out"),
        (4, "pulled_in", None),
        (5, None, "lost"),
        (6, "new", None),
        (7, "new", "won"),
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["open", "won", "lost"]),
            st.sampled_from(["open", "won", "lost"]),
            st.integers(0, 200),
            st.integers(0, 200),
            st.integers(-60, 150),
            st.integers(-60, 150),
            st.booleans(),
            st.integers(-30, 60),
        ),
        max_size=25,
    )
)
def test_the_waterfall_always_reconciles(deals: list[tuple[Any, ...]]) -> None:
    base = date(2026, 8, 1)
    before, after = [], []
    for n, (s0, s1, a0, a1, d0, d1, created_late, closed_day) in enumerate(deals):
        created = at(9, 1) if created_late else at(6, 1)
        closed = None if s1 == "open" else at(8, 1) + (at(8, 2) - at(8, 1)) * closed_day
        after.append(
            (n, s1, base.fromordinal(base.toordinal() + d1), Decimal(a1), created, closed, "x")
        )
        if not created_late:
            before.append(
                (n, s0, base.fromordinal(base.toordinal() + d0), Decimal(a0), created, None, "x")
            )

    flows = waterfall(snap(*before), snap(*after), t0=T0, **WINDOW)

    assert reconciles(flows).all()
