"""`build_demo` on SQLite and PostgreSQL: counts, history, ground truth, determinism, atomicity."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlalchemy import select

from revdesk.core.errors import InvalidInput
from revdesk.core.fiscal import FiscalCalendar
from revdesk.crm import frames
from revdesk.crm.asof import as_of
from revdesk.crm.service import count_records
from revdesk.db.uow import Database
from revdesk.demo.model import DemoParameters
from revdesk.demo.service import build_demo, demo_figures, demo_world
from revdesk.demo.tables import DemoDefect, DemoRun
from revdesk.demo.timeline import World
from revdesk.demo.truth import TRUTH_SCHEMA, defects_as_of

TODAY = date(2026, 11, 23)
MIDNIGHT = datetime(2026, 11, 23, tzinfo=UTC)
# Small batches, so that a small company still crosses batch boundaries.
PARAMS = replace(DemoParameters(), batch_size=200)


def _world(scale: int, base_currency: str = "USD") -> World:
    return demo_world(
        scale=scale,
        today=TODAY,
        calendar=FiscalCalendar(),
        base_currency=base_currency,
        params=PARAMS,
    )


def _build(database: Database, scale: int = 500, seed: int = 42) -> None:
    build_demo(database, world=_world(scale), seed=seed, params=PARAMS)


def _recorded_truth(database: Database) -> pl.DataFrame:
    with database.uow() as uow:
        rows = [
            (d.entity, d.entity_id, d.kind.value, d.detail)
            for d in uow.session.scalars(select(DemoDefect))
        ]
    return pl.DataFrame(rows, schema=TRUTH_SCHEMA, orient="row").sort("entity", "kind", "entity_id")


def test_the_company_is_written_with_its_run_and_history_rebuilds_every_deal(
    database: Database,
) -> None:
    _build(database)

    with database.uow() as uow:
        counts = count_records(uow.session)
        run = uow.session.scalars(select(DemoRun)).one()
        opportunities = frames.opportunities(uow.session)
        history = frames.history(uow.session)
        stages = frames.stages(uow.session)
    rebuilt = as_of(opportunities, history, stages, MIDNIGHT)

    assert counts["opportunities"] == 500
    assert counts["stages"] == 7
    assert counts["quotes"] > 0
    assert (run.seed, run.scale, run.today) == (42, 500, TODAY)
    assert run.parameters["model"]["segments"]["win_rate"] == [0.3, 0.28, 0.22]
    assert run.finished_at is not None
    assert history["changed_at"].max() < MIDNIGHT
    columns = ["id", "stage", "amount", "close_date", "forecast_category", "owner_id", "closed_at"]
    assert rebuilt.select(columns).equals(opportunities.select(columns))


def test_the_recorded_ground_truth_is_exactly_what_the_definitions_find(
    database: Database,
) -> None:
    _build(database)

    with database.uow() as uow:
        stages = frames.stages(uow.session).select(
            pl.col("name").alias("stage"), "status", "default_probability"
        )
        deals = frames.opportunities(uow.session).join(stages, on="stage")
        contacts = frames.contacts(uow.session)
    found = defects_as_of(deals, contacts, TODAY)

    truth = _recorded_truth(database)
    assert found.equals(truth)
    assert set(truth["kind"]) >= {"stale", "missing_next_step", "orphan_contact"}


def _content(database: Database) -> dict[str, pl.DataFrame]:
    with database.uow() as uow:
        session = uow.session
        return {
            "users": frames.users(session),
            "accounts": frames.accounts(session),
            "contacts": frames.contacts(session),
            "opportunities": frames.opportunities(session),
            "history": frames.history(session),
            "lines": frames.primary_quote_lines(session),
            "truth": _recorded_truth(database),
        }


def test_the_same_seed_scale_and_today_give_identical_content(database: Database) -> None:
    _build(database, scale=300, seed=5)
    first = _content(database)
    _build(database, scale=300, seed=5)
    second = _content(database)

    for name, frame in first.items():
        assert frame.equals(second[name]), name


def test_a_failed_run_leaves_the_previous_company_untouched(database: Database) -> None:
    _build(database, scale=300)
    with database.uow() as uow:
        before = count_records(uow.session)

    with pytest.raises(InvalidInput, match="base currency"):
        build_demo(database, world=_world(300, base_currency="JPY"), seed=1, params=PARAMS)

    with database.uow() as uow:
        assert count_records(uow.session) == before


def test_key_figures_of_a_mid_sized_company_lie_within_the_documented_ranges(
    database: Database,
) -> None:
    build_demo(database, world=_world(4_000), seed=42, params=replace(PARAMS, batch_size=2_000))

    figures = demo_figures(database, fiscal_start_month=2)

    assert figures.out_of_range().is_empty(), figures.out_of_range()
