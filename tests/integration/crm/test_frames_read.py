"""Bulk reads into frames: the same frames whichever path reads them (SQLite and PG)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
from sqlalchemy import update

from factories import tiny_company
from revdesk.crm import frames
from revdesk.crm.dataset import load_company, parse_company
from revdesk.crm.snapshot_read import snapshot_reader
from revdesk.crm.tables import Opportunity
from revdesk.db.uow import Database


def _load(database: Database) -> None:
    with database.uow() as uow:
        load_company(uow.session, parse_company(tiny_company(), where="test"))
        uow.commit()


def test_history_read_in_parts_equals_the_history_read_whole(database: Database) -> None:
    # given the tiny company (28 history rows)
    _load(database)

    # when the history is read whole and as five id ranges
    with database.uow() as uow:
        whole, parted = frames.read_frames(
            uow.session,
            [replace(frames.HISTORY, parts=1), replace(frames.HISTORY, parts=5)],
        )

    # then both are the same 28 rows in id order, with the contract's dtypes
    assert whole.height == 28
    assert parted.equals(whole)
    assert whole["id"].is_sorted()
    assert dict(whole.schema) == dict(frames.HISTORY_FRAME)


def test_every_frame_comes_back_with_its_contract_dtypes(database: Database) -> None:
    _load(database)

    with database.uow() as uow:
        opps = frames.opportunities(uow.session)
        lines = frames.primary_quote_lines(uow.session)
        stages = frames.stages(uow.session)

    assert dict(opps.schema) == dict(frames.OPPORTUNITY_FRAME)
    won = opps.filter(pl.col("external_id") == "won").row(0, named=True)
    assert won["amount"] == Decimal("5000.0000")
    assert won["closed_at"] == datetime(2026, 5, 10, 15, tzinfo=UTC)
    assert lines.height == 1
    assert lines.row(0, named=True)["net_unit_price"] == Decimal("80.000000")
    assert stages["sort_order"].is_sorted()


def test_a_read_after_an_uncommitted_write_sees_that_write(database: Database) -> None:
    # given a unit of work that changed an amount and has not committed
    _load(database)
    with database.uow() as uow:
        uow.session.execute(
            update(Opportunity).where(Opportunity.external_id == "won").values(amount=Decimal("7"))
        )
        # when it reads the opportunities
        reader = snapshot_reader(uow.session)
        opps = frames.opportunities(uow.session)

    # then no other connection is used (it could not see the change) and the change is read
    assert reader is None
    assert opps.filter(pl.col("external_id") == "won")["amount"].to_list() == [Decimal("7.0000")]


def test_a_snapshot_reader_reads_the_snapshot_it_was_made_with(database: Database) -> None:
    # given a snapshot reader made inside a unit of work
    _load(database)
    with database.uow() as uow:
        reader = snapshot_reader(uow.session)
        # when another transaction commits a change, and the reader reads after it
        with database.uow() as other:
            other.session.execute(
                update(Opportunity).where(Opportunity.external_id == "won").values(amount=9)
            )
            other.commit()
        seen = (
            None
            if reader is None
            else reader.read(
                "SELECT amount::text AS amount FROM opportunities WHERE external_id = 'won'"
            )
        )

    # then on PostgreSQL it shows the amount before the change; SQLite has no such reader
    if database.engine.dialect.name == "sqlite":
        assert reader is None
    else:
        assert seen is not None
        assert seen["amount"].to_list() == ["5000.0000"]
