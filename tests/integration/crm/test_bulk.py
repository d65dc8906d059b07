"""Bulk writes from frames land exactly as ORM writes would, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest
from sqlalchemy import select

from factories import tiny_company
from revdesk.core.errors import InvalidInput
from revdesk.crm.bulk import BulkWriter
from revdesk.crm.dataset import load_company, parse_company
from revdesk.crm.tables import Account, Opportunity, OpportunityHistory
from revdesk.db.uow import Database


def test_bulk_rows_read_back_exactly_and_ids_continue_after_them(database: Database) -> None:
    with database.uow() as uow:
        load_company(uow.session, parse_company(tiny_company(), where="test"))
        uow.commit()
    with database.uow() as uow:
        writer = BulkWriter(uow.session)
        ids = writer.reserve("opportunities", 2)
        writer.insert(
            "opportunities",
            pl.DataFrame(
                {
                    "id": list(ids),
                    "name": ["Bulk A", "Bulk B"],
                    "type": ["new", "renewal"],
                    "stage": ["Discovery", "Closed Won"],
                    "amount": pl.Series([Decimal("1234.5678"), None], dtype=pl.Decimal(38, 4)),
                    "currency": ["USD", "EUR"],
                    "close_date": [date(2027, 1, 31), None],
                    "competitors": [["Rival, Inc.", 'Quote "Co"'], []],
                    "extra": [{"x__c": 1}, {}],
                    "created_at": pl.Series([datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)] * 2),
                    "updated_at": pl.Series([datetime(2026, 1, 2, tzinfo=UTC)] * 2),
                    "version": [1, 1],
                }
            ),
        )
        writer.insert(
            "opportunity_history",
            pl.DataFrame(
                {
                    "id": list(writer.reserve("opportunity_history", 1)),
                    "opportunity_id": [ids[0]],
                    "field": ["stage"],
                    "old_value": [None],
                    "new_value": ["Discovery"],
                    "changed_at": pl.Series([datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)]),
                    "source": ["bulk"],
                },
                schema_overrides={"old_value": pl.String},
            ),
        )
        writer.finish()
        uow.commit()

    with database.uow() as uow:
        first = uow.session.get(Opportunity, ids[0])
        second = uow.session.get(Opportunity, ids[1])
        history = uow.session.scalars(
            select(OpportunityHistory).where(OpportunityHistory.source == "bulk")
        ).one()
        uow.session.add(Account(name="After bulk"))
        added = Opportunity(name="ORM", type="new", stage="Discovery", currency="USD")
        uow.session.add(added)
        uow.commit()
        assert first is not None
        assert second is not None
        assert first.amount == Decimal("1234.5678")
        assert first.competitors == ["Rival, Inc.", 'Quote "Co"']
        assert first.extra == {"x__c": 1}
        assert first.created_at == datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
        assert (second.amount, second.close_date) == (None, None)
        assert history.old_value is None
        assert history.opportunity_id == ids[0]
        assert added.id == ids[1] + 1


def test_an_unknown_column_is_refused(database: Database) -> None:
    with database.uow() as uow:
        writer = BulkWriter(uow.session)
        with pytest.raises(InvalidInput, match="no column"):
            writer.insert("accounts", pl.DataFrame({"id": [1], "nmae": ["typo"]}))


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_rows_inserted_by_others_during_a_bulk_load_never_take_a_reserved_id(
    database: Database,
) -> None:
    with database.uow() as bulk:
        reserved = BulkWriter(bulk.session).reserve("accounts", 100)
        with database.uow() as other:
            account = Account(name="Written meanwhile")
            other.session.add(account)
            other.commit()

        assert account.id not in reserved
        assert account.id > reserved[-1]
