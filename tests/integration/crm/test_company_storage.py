"""The revenue data core on a real database: loading, history, as-of, summary (SQLite and PG)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from factories import tiny_company
from revdesk.core.errors import InvalidInput
from revdesk.core.fiscal import FiscalCalendar
from revdesk.crm import frames
from revdesk.crm.asof import as_of
from revdesk.crm.dataset import load_company, parse_company, sample_company
from revdesk.crm.model import TrackedField
from revdesk.crm.service import change_opportunity, company_summary, manager_chain
from revdesk.crm.tables import Opportunity, OpportunityHistory, Quote, User
from revdesk.db.uow import Database


def _load(database: Database) -> None:
    with database.uow() as uow:
        load_company(uow.session, parse_company(tiny_company(), where="test"))
        uow.commit()


def test_loading_a_company_writes_every_record_and_its_creation_history(database: Database) -> None:
    with database.uow() as uow:
        counts = load_company(uow.session, parse_company(tiny_company(), where="test"))
        uow.commit()

    assert counts["users"] == 3
    assert counts["opportunities"] == 4
    # creation rows: 4 deals x 5 fields (stage, amount, close date, category, owner) = 20;
    # changes: open-usd stage+category+amount (3) and close date (1); won and lost stage+category
    assert counts["history"] == 20 + 4 + 2 + 2
    assert counts["quotes"] == 1


def test_amounts_and_timestamps_come_back_exact_and_aware(database: Database) -> None:
    _load(database)

    with database.uow() as uow:
        opp = uow.session.scalars(select(Opportunity).where(Opportunity.external_id == "won")).one()
        quote = uow.session.scalars(select(Quote)).one()
        line, clause = quote.lines[0], quote.clauses[0]

    assert opp.amount == Decimal("5000.0000")
    assert opp.closed_at == datetime(2026, 5, 10, 15, tzinfo=UTC)
    assert opp.created_at.tzinfo is UTC
    assert line.list_unit_price == Decimal("100.000000")
    assert line.net_unit_price == Decimal("80.000000")
    assert clause.parameters == {"multiple": 2}


def test_a_change_writes_history_with_old_and_new_values(database: Database) -> None:
    _load(database)
    at = datetime(2026, 7, 1, 12, tzinfo=UTC)

    with database.uow() as uow:
        opp = uow.session.scalars(
            select(Opportunity).where(Opportunity.external_id == "open-eur")
        ).one()
        rows = change_opportunity(
            uow.session,
            opp,
            {TrackedField.AMOUNT: Decimal("1500.50"), TrackedField.CLOSE_DATE: date(2027, 3, 1)},
            at=at,
            by=None,
        )
        uow.commit()

    assert [(r.field, r.old_value, r.new_value) for r in rows] == [
        (TrackedField.AMOUNT, "1000.0000", "1500.5000")
    ]
    with database.uow() as uow:
        stored = uow.session.scalars(
            select(OpportunityHistory).where(OpportunityHistory.changed_at == at)
        ).all()
    assert len(stored) == 1


def test_a_stage_change_to_a_closed_stage_stamps_closed_at(database: Database) -> None:
    _load(database)
    at = datetime(2026, 8, 1, tzinfo=UTC)

    with database.uow() as uow:
        opp = uow.session.scalars(
            select(Opportunity).where(Opportunity.external_id == "open-eur")
        ).one()
        change_opportunity(uow.session, opp, {TrackedField.STAGE: "Closed Won"}, at=at, by=None)
        uow.commit()

    with database.uow() as uow:
        opp = uow.session.scalars(
            select(Opportunity).where(Opportunity.external_id == "open-eur")
        ).one()
    assert opp.closed_at == at
    assert opp.forecast_category == "closed"
    assert opp.probability == Decimal("100.00")


def test_an_unknown_stage_is_refused(database: Database) -> None:
    _load(database)

    with database.uow() as uow:
        opp = uow.session.scalars(select(Opportunity)).first()
        assert opp is not None
        with pytest.raises(InvalidInput, match="unknown stage 'Nope'"):
            change_opportunity(
                uow.session,
                opp,
                {TrackedField.STAGE: "Nope"},
                at=datetime(2026, 8, 1, tzinfo=UTC),
                by=None,
            )


def test_a_stale_concurrent_update_is_refused_not_overwritten(database: Database) -> None:
    _load(database)

    with database.uow() as first, database.uow() as second:
        a = first.session.scalars(select(Opportunity).order_by(Opportunity.id)).first()
        b = second.session.scalars(select(Opportunity).order_by(Opportunity.id)).first()
        assert a is not None
        assert b is not None
        a.next_step = "call the CFO"
        first.commit()
        b.next_step = "send the proposal"
        with pytest.raises(StaleDataError):
            second.commit()

    with database.uow() as uow:
        kept = uow.session.scalars(select(Opportunity).order_by(Opportunity.id)).first()
    assert kept is not None
    assert kept.next_step == "call the CFO"


def test_manager_chain_walks_up_the_reporting_line(database: Database) -> None:
    _load(database)

    with database.uow() as uow:
        rep = uow.session.scalars(select(User).where(User.email == "rep@t.example")).one()
        chain = [u.email for u in manager_chain(uow.session, rep.id)]

    assert chain == ["mgr@t.example", "vp@t.example"]


def test_as_of_on_stored_history_rebuilds_the_past(database: Database) -> None:
    _load(database)

    with database.uow() as uow:
        opps, hist, stages = (
            frames.opportunities(uow.session),
            frames.history(uow.session),
            frames.stages(uow.session),
        )
    before_proposal = as_of(
        opps, hist, stages, datetime(2026, 3, 15, tzinfo=UTC), keep=["external_id"]
    )
    after_close = as_of(opps, hist, stages, datetime(2026, 6, 15, tzinfo=UTC), keep=["external_id"])

    row = before_proposal.filter(pl.col("external_id") == "open-usd").row(0, named=True)
    assert (row["stage"], row["amount"], row["close_date"]) == (
        "Discovery",
        Decimal("8000"),
        date(2026, 11, 30),
    )
    assert set(before_proposal["external_id"]) == {"open-usd", "won", "lost"}
    won = after_close.filter(pl.col("external_id") == "won").row(0, named=True)
    assert (won["status"], won["is_won"]) == ("won", True)
    usd = after_close.filter(pl.col("external_id") == "open-usd").row(0, named=True)
    assert usd["close_date_pushes"] == 1


def test_summary_figures_match_the_hand_computed_case(database: Database) -> None:
    _load(database)

    with database.uow() as uow:
        counts, summary = company_summary(
            uow.session,
            base_currency="USD",
            calendar=FiscalCalendar(start_month=2),
            today=date(2026, 11, 23),
        )

    assert counts["opportunities"] == 4
    pipeline = {
        (r["stage"], r["quarter"]): r["amount"] for r in summary.open_pipeline.iter_rows(named=True)
    }
    assert pipeline == {
        ("Discovery", "FY2028-Q1"): Decimal("1100.0000"),
        ("Proposal", "FY2027-Q4"): Decimal("10000.0000"),
    }
    closed = summary.closed_by_quarter.row(0, named=True)
    assert closed["quarter"] == "FY2027-Q2"
    assert (closed["won_deals"], closed["won_amount"]) == (1, Decimal("5000.0000"))
    assert (closed["lost_deals"], closed["lost_amount"]) == (1, Decimal("2500.0000"))
    assert closed["win_rate"] == 0.5


def test_a_document_with_an_unknown_reference_writes_nothing(database: Database) -> None:
    doc = tiny_company()
    doc["accounts"][0]["owner"] = "ghost"

    with database.uow() as uow, pytest.raises(InvalidInput, match="unknown user 'ghost'"):
        load_company(uow.session, parse_company(doc, where="test"))

    with database.uow() as uow:
        assert uow.session.scalars(select(User)).first() is None


def test_a_malformed_document_names_the_path_of_the_bad_value() -> None:
    doc = tiny_company()
    doc["opportunities"][1]["initial"]["amount"] = "-5"

    with pytest.raises(InvalidInput, match=r"opportunities\.1\.initial\.amount"):
        parse_company(doc, where="test")


@pytest.mark.skipif(
    not __import__("importlib.resources")
    .resources.files("revdesk.crm.sample")
    .joinpath("company.yaml")
    .is_file(),
    reason="sample company file not written yet",
)
def test_the_bundled_sample_company_loads(database: Database) -> None:
    with database.uow() as uow:
        counts = load_company(uow.session, sample_company())
        uow.commit()

    assert counts["opportunities"] >= 20
    assert counts["quotes"] >= 10


def test_setting_the_current_stage_again_changes_nothing(database: Database) -> None:
    _load(database)

    with database.uow() as uow:
        opp = uow.session.scalars(select(Opportunity).where(Opportunity.external_id == "won")).one()
        closed_at = opp.closed_at
        rows = change_opportunity(
            uow.session,
            opp,
            {TrackedField.STAGE: "Closed Won"},
            at=datetime(2026, 9, 1, tzinfo=UTC),
            by=None,
        )

        assert rows == []
        assert opp.closed_at == closed_at
