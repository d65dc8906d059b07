"""Column types: exact decimals and aware UTC timestamps at the storage boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from revdesk.core.errors import InvalidInput, StorageError
from revdesk.db.engine import parse_url
from revdesk.db.types import Amount, UTCDateTime

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("amount", Amount(20, 4)),
    Column("at", UTCDateTime),
)


@pytest.fixture
def engine():  # type: ignore[no-untyped-def]
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_amounts_round_trip_as_decimals_at_the_column_scale(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(insert(things).values(id=1, amount=Decimal("1234567890.12345")))
        value = conn.execute(select(things.c.amount)).scalar_one()

    assert value == Decimal("1234567890.1235")
    assert isinstance(value, Decimal)


def test_a_float_amount_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn, pytest.raises(Exception, match="cannot be stored as an exact"):
        conn.execute(insert(things).values(id=1, amount=0.1))


def test_timestamps_are_stored_in_utc_and_come_back_aware(engine) -> None:  # type: ignore[no-untyped-def]
    paris = timezone(timedelta(hours=1))
    with engine.begin() as conn:
        conn.execute(insert(things).values(id=1, at=datetime(2026, 1, 1, 12, tzinfo=paris)))
        value = conn.execute(select(things.c.at)).scalar_one()

    assert value == datetime(2026, 1, 1, 11, tzinfo=UTC)
    assert value.tzinfo is UTC


def test_a_naive_timestamp_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn, pytest.raises(Exception, match="naive datetime"):
        conn.execute(insert(things).values(id=1, at=datetime(2026, 1, 1)))  # noqa: DTZ001


def test_postgresql_urls_use_psycopg_3() -> None:
    assert parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"


def test_an_unparseable_url_names_the_setting() -> None:
    with pytest.raises(StorageError, match="REVDESK_DATABASE_URL: cannot parse"):
        parse_url("::::")


def test_invalid_input_is_the_cause_of_a_refused_bind() -> None:
    with pytest.raises(InvalidInput):
        Amount().process_bind_param(0.5, create_engine("sqlite://").dialect)  # type: ignore[arg-type]
