"""Key figures on a hand-built pipeline, and on a generated company (within documented ranges)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import polars as pl
import pytest

from revdesk.demo.figures import EXPECTED, key_figures
from revdesk.demo.generator import CompanyFrames


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


DEALS = pl.DataFrame(
    {
        "id": [1, 2, 3, 4, 5],
        "segment": ["smb", "smb", "smb", "enterprise", "smb"],
        "type": ["new", "new", "new", "new", "renewal"],
        "status": ["won", "lost", "won", "won", "open"],
        # fiscal year from February: 2026-04-30 ends FY2027-Q1
        "created_at": [
            _at(d) for d in ["2026-03-01", "2026-03-05", "2026-02-01", "2025-11-01", "2026-04-01"]
        ],
        "closed_at": [
            _at("2026-03-31"),
            _at("2026-03-20"),
            _at("2026-04-20"),
            _at("2026-04-01"),
            None,
        ],
    },
    schema_overrides={
        "created_at": pl.Datetime("us", "UTC"),
        "closed_at": pl.Datetime("us", "UTC"),
    },
)
PUSHES = pl.DataFrame({"id": [1, 2, 5], "pushes": [2, 1, 4]})
QUOTES = pl.DataFrame(
    {
        "id": [1, 3, 4],
        "created_at": [_at("2026-03-30"), _at("2026-04-01"), _at("2026-04-25")],
        "list_value": [1000.0, 2000.0, 4000.0],
        "net_value": [900.0, 1900.0, 3200.0],
    },
    schema_overrides={"created_at": pl.Datetime("us", "UTC")},
)


def test_key_figures_of_a_hand_built_pipeline() -> None:
    figures = key_figures(DEALS, PUSHES, QUOTES, fiscal_start_month=2)

    assert figures.value("win rate, new business", "smb") == pytest.approx(2 / 3)
    assert figures.value("win rate, new business") == pytest.approx(3 / 4)
    assert figures.value("median cycle days, won new business", "smb") == pytest.approx(54.0)
    assert figures.value("median cycle days, won new business", "enterprise") == 151.0
    assert figures.value("average discount, won deals") == pytest.approx((0.1 + 0.05 + 0.2) / 3)
    # quote of deal 4 was made on 2026-04-25, in the last two weeks of FY2027-Q1
    assert figures.value("average discount, quotes in last two weeks") == pytest.approx(0.2)
    assert figures.value("closed deals pushed at least once") == pytest.approx(2 / 4)
    # wins on 03-31 (31 days before the quarter end) and 04-20, 04-01: one in the last 14 days
    assert figures.value("wins in the last two weeks of a quarter") == pytest.approx(1 / 3)


def test_a_generated_company_lies_within_the_documented_ranges(
    make_company: Callable[..., CompanyFrames],
) -> None:
    company = make_company(4_000, seed=11, batch_size=2_000)
    tables = company.tables
    segment = tables["accounts"].select(pl.col("id").alias("account_id"), "segment")
    status = {"Closed Won": "won", "Closed Lost": "lost"}
    deals = (
        tables["opportunities"]
        .join(segment, on="account_id")
        .select(
            "id",
            "segment",
            "type",
            pl.col("stage").replace_strict(status, default="open").alias("status"),
            "created_at",
            "closed_at",
        )
    )
    history = tables["opportunity_history"].filter(
        (pl.col("field") == "close_date") & (pl.col("new_value") > pl.col("old_value"))
    )
    pushes = history.group_by(pl.col("opportunity_id").alias("id")).agg(pushes=pl.len())
    lines = tables["quote_lines"].with_columns(
        list_value=(pl.col("quantity") * pl.col("list_unit_price")).cast(pl.Float64),
        net_value=(pl.col("quantity") * pl.col("net_unit_price")).cast(pl.Float64),
    )
    quotes = (
        tables["quotes"]
        .filter("is_primary")
        .join(
            lines.group_by("quote_id").agg(pl.col("list_value", "net_value").sum()),
            left_on="id",
            right_on="quote_id",
        )
        .select(pl.col("opportunity_id").alias("id"), "created_at", "list_value", "net_value")
    )

    figures = key_figures(deals, pushes, quotes, fiscal_start_month=2)

    assert figures.out_of_range().is_empty(), figures.out_of_range()
    assert len(EXPECTED) == figures.table.filter(pl.col("low").is_not_null()).height
    later = figures.value("average discount, quotes in last two weeks")
    assert later > figures.value("average discount, other quotes")
