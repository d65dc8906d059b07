"""The generator end to end in memory: sizes, ids, history that rebuilds the state, determinism."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import polars as pl

from revdesk.crm.asof import HISTORY_SCHEMA, OPPORTUNITY_SCHEMA, as_of
from revdesk.demo.generator import CompanyFrames
from revdesk.demo.model import STAGE_CATEGORY, STAGE_NAMES, STAGE_PROBABILITY

MIDNIGHT = datetime(2026, 11, 23, tzinfo=UTC)  # the fixtures' today
STAGES = pl.DataFrame(
    {
        "name": list(STAGE_NAMES),
        "status": ["open"] * 5 + ["won", "lost"],
    }
)


def _contract(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


def test_the_scale_is_the_number_of_opportunities_and_ids_are_contiguous(
    company: CompanyFrames,
) -> None:
    opportunities = company.tables["opportunities"]
    history = company.tables["opportunity_history"]

    assert opportunities.height == 600
    assert opportunities["id"].to_list() == list(range(1, 601))
    assert history["id"].to_list() == list(range(1, history.height + 1))
    assert company.tables["quote_lines"]["quote_id"].is_in(company.tables["quotes"]["id"]).all()


def test_all_history_is_before_today_and_starts_with_a_creation_row(company: CompanyFrames) -> None:
    history = company.tables["opportunity_history"]
    first = history.sort("id").group_by("opportunity_id", "field").first()

    assert history["changed_at"].max() < MIDNIGHT
    assert first["old_value"].null_count() == first.height
    assert set(history["field"].unique()) == {
        "stage",
        "forecast_category",
        "amount",
        "close_date",
        "owner",
    }


def test_history_rebuilds_the_current_state_of_every_opportunity(company: CompanyFrames) -> None:
    opportunities = company.tables["opportunities"]
    current = _contract(opportunities, dict(OPPORTUNITY_SCHEMA))
    history = _contract(company.tables["opportunity_history"], dict(HISTORY_SCHEMA))

    rebuilt = as_of(current, history, STAGES, MIDNIGHT)

    columns = ["id", "stage", "amount", "close_date", "forecast_category", "owner_id"]
    assert rebuilt.select(columns).equals(current.select(columns))
    assert rebuilt["closed_at"].equals(current["closed_at"])


def test_probability_and_category_follow_the_stage_except_injected_mismatches(
    company: CompanyFrames,
) -> None:
    deals = company.tables["opportunities"]
    default = pl.col("stage").replace_strict(dict(zip(STAGE_NAMES, STAGE_PROBABILITY, strict=True)))
    category = pl.col("stage").replace_strict(
        {n: c.value for n, c in zip(STAGE_NAMES, STAGE_CATEGORY, strict=True)}
    )
    off = deals.filter(pl.col("probability").cast(pl.Int64) != default)
    mismatches = company.truth.filter(kind="probability_mismatch")["entity_id"]

    assert sorted(off["id"].to_list()) == sorted(mismatches.to_list())
    assert deals.filter(pl.col("forecast_category") != category).height == 0


def test_closed_deals_are_closed_before_today_and_open_ones_are_not(company: CompanyFrames) -> None:
    deals = company.tables["opportunities"]
    closed = deals.filter(pl.col("stage").is_in(["Closed Won", "Closed Lost"]))
    still_open = deals.filter(~pl.col("stage").is_in(["Closed Won", "Closed Lost"]))

    assert closed["closed_at"].null_count() == 0
    assert closed["closed_at"].max() < MIDNIGHT
    assert still_open["closed_at"].null_count() == still_open.height
    assert closed.filter(pl.col("stage") == "Closed Lost")["lost_reason"].null_count() == 0


def test_the_same_seed_gives_the_same_company_and_another_seed_another(
    make_company: Callable[..., CompanyFrames],
) -> None:
    first, again = make_company(300, seed=3), make_company(300, seed=3)
    other = make_company(300, seed=4)

    for name, frame in first.tables.items():
        assert frame.equals(again.tables[name]), name
    assert first.truth.equals(again.truth)
    assert not first.tables["opportunities"].equals(other.tables["opportunities"])
