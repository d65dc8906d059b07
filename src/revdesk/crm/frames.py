"""Read the CRM into Polars frames for the columnar, read-side analytics.

Millions of rows cannot go through ORM objects, so tables are read as text in bulk and typed
by Polars: PostgreSQL streams `COPY (SELECT ...) TO STDOUT` as CSV; SQLite hands back tuples with
decimals cast to text in SQL (exact as stored). The frames follow the contracts in
`revdesk.crm.asof`, so any frame read here can be reconstructed as of a past moment.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, Final

import polars as pl
from sqlalchemy import String, Table, cast, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from revdesk.core.fx import ExchangeRate, RateTable
from revdesk.crm.asof import MONEY, UTC_MICROS
from revdesk.crm.tables import (
    Account,
    Contact,
    ExchangeRateRow,
    Opportunity,
    OpportunityHistory,
    Product,
    Quote,
    QuoteLine,
    Stage,
    Team,
    User,
)

OPPORTUNITY_FRAME: Final[Mapping[str, pl.DataType]] = {
    "id": pl.Int64(),
    "external_id": pl.String(),
    "account_id": pl.Int64(),
    "owner_id": pl.Int64(),
    "name": pl.String(),
    "type": pl.String(),
    "stage": pl.String(),
    "amount": MONEY,
    "currency": pl.String(),
    "close_date": pl.Date(),
    "forecast_category": pl.String(),
    "probability": pl.Decimal(38, 2),
    "next_step": pl.String(),
    "lead_source": pl.String(),
    "competitors": pl.List(pl.String()),
    "lost_reason": pl.String(),
    "created_at": UTC_MICROS,
    "closed_at": UTC_MICROS,
    "last_activity_at": UTC_MICROS,
}
HISTORY_FRAME: Final[Mapping[str, pl.DataType]] = {
    "id": pl.Int64(),
    "opportunity_id": pl.Int64(),
    "field": pl.String(),
    "old_value": pl.String(),
    "new_value": pl.String(),
    "changed_at": UTC_MICROS,
    "changed_by_id": pl.Int64(),
}
STAGE_FRAME: Final[Mapping[str, pl.DataType]] = {
    "name": pl.String(),
    "sort_order": pl.Int64(),
    "status": pl.String(),
    "forecast_category": pl.String(),
    "default_probability": pl.Decimal(38, 2),
    "required_fields": pl.List(pl.String()),
    "playbook": pl.String(),
}
USER_FRAME: Final[Mapping[str, pl.DataType]] = {
    "id": pl.Int64(),
    "name": pl.String(),
    "email": pl.String(),
    "role": pl.String(),
    "manager_id": pl.Int64(),
    "team_id": pl.Int64(),
}
TEAM_FRAME: Final[Mapping[str, pl.DataType]] = {
    "id": pl.Int64(),
    "name": pl.String(),
    "parent_id": pl.Int64(),
    "region": pl.String(),
}
ACCOUNT_FRAME: Final[Mapping[str, pl.DataType]] = {
    "id": pl.Int64(),
    "name": pl.String(),
    "segment": pl.String(),
    "region": pl.String(),
    "industry": pl.String(),
    "owner_id": pl.Int64(),
}
CONTACT_FRAME: Final[Mapping[str, pl.DataType]] = {
    "id": pl.Int64(),
    "account_id": pl.Int64(),
    "first_name": pl.String(),
    "last_name": pl.String(),
    "email": pl.String(),
    "title": pl.String(),
    "buying_role": pl.String(),
}
PRODUCT_FRAME: Final[Mapping[str, pl.DataType]] = {
    "id": pl.Int64(),
    "sku": pl.String(),
    "name": pl.String(),
    "family": pl.String(),
}
QUOTE_FRAME: Final[Mapping[str, pl.DataType]] = {
    "id": pl.Int64(),
    "opportunity_id": pl.Int64(),
    "version": pl.Int64(),
    "status": pl.String(),
    "is_primary": pl.Boolean(),
}
QUOTE_LINE_FRAME: Final[Mapping[str, pl.DataType]] = {
    "id": pl.Int64(),
    "quote_id": pl.Int64(),
    "product_id": pl.Int64(),
    "quantity": pl.Decimal(38, 4),
    "list_unit_price": pl.Decimal(38, 6),
    "net_unit_price": pl.Decimal(38, 6),
}
_TEXT_TIMESTAMP = "%Y-%m-%d %H:%M:%S%.f"


def read_frame(
    session: Session,
    table: Table,
    schema: Mapping[str, pl.DataType],
    *,
    where: ColumnElement[bool] | None = None,
) -> pl.DataFrame:
    """Columns `schema` of `table` (optionally filtered) as a typed frame, read in bulk."""
    columns = [cast(table.c[name], String).label(name) for name in schema]
    query = select(*columns).order_by(table.c.id)
    if where is not None:
        query = query.where(where)
    if session.get_bind().dialect.name == "postgresql":
        raw = _copy_out(session, query)
    else:
        rows = session.execute(query).all()
        raw = pl.DataFrame(rows, schema=dict.fromkeys(schema, pl.String()), orient="row")
    return raw.select(_typed(name, dtype) for name, dtype in schema.items())


def _copy_out(session: Session, query: Any) -> pl.DataFrame:
    """Stream a query out of PostgreSQL as CSV and parse it with Polars."""
    session.execute(select(1))  # make sure the transaction is open on this connection
    raw: Any = session.connection().connection.driver_connection
    compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    buffer = io.BytesIO()
    with raw.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")
        with cursor.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
            for block in copy:
                buffer.write(block)
    buffer.seek(0)
    return pl.read_csv(buffer, infer_schema=False)


def _typed(name: str, dtype: pl.DataType) -> pl.Expr:
    """Turn a text column into `dtype` (timestamps are UTC; PostgreSQL adds '+00')."""
    text = pl.col(name)
    if dtype == UTC_MICROS:
        stamp = text.str.replace(r"\+00$", "")
        return stamp.str.to_datetime(_TEXT_TIMESTAMP, time_unit="us").dt.replace_time_zone("UTC")
    if dtype == pl.Date():
        return text.str.to_date("%Y-%m-%d")
    if isinstance(dtype, pl.List):
        return text.str.json_decode(dtype)
    if dtype == pl.Boolean():
        return text.is_in(["1", "true", "t"]).and_(text.is_not_null())
    return text.cast(dtype)


def opportunities(session: Session) -> pl.DataFrame:
    """Every opportunity's current state."""
    return read_frame(session, Opportunity.__table__, OPPORTUNITY_FRAME)  # type: ignore[arg-type]


def history(session: Session) -> pl.DataFrame:
    """Every field-history row, in insertion order."""
    return read_frame(session, OpportunityHistory.__table__, HISTORY_FRAME)  # type: ignore[arg-type]


def stages(session: Session) -> pl.DataFrame:
    """Stage definitions in pipeline order."""
    frame = read_frame(session, Stage.__table__, STAGE_FRAME)  # type: ignore[arg-type]
    return frame.sort("sort_order")


def users(session: Session) -> pl.DataFrame:
    """Users with their manager and team."""
    return read_frame(session, User.__table__, USER_FRAME)  # type: ignore[arg-type]


def teams(session: Session) -> pl.DataFrame:
    """Teams."""
    return read_frame(session, Team.__table__, TEAM_FRAME)  # type: ignore[arg-type]


def accounts(session: Session) -> pl.DataFrame:
    """Accounts with segment, region and industry."""
    return read_frame(session, Account.__table__, ACCOUNT_FRAME)  # type: ignore[arg-type]


def contacts(session: Session) -> pl.DataFrame:
    """Contacts with their account (null for orphans)."""
    return read_frame(session, Contact.__table__, CONTACT_FRAME)  # type: ignore[arg-type]


def products(session: Session) -> pl.DataFrame:
    """Products."""
    return read_frame(session, Product.__table__, PRODUCT_FRAME)  # type: ignore[arg-type]


def primary_quote_lines(session: Session) -> pl.DataFrame:
    """Lines of each opportunity's primary quote, with the opportunity id."""
    quotes = read_frame(session, Quote.__table__, QUOTE_FRAME)  # type: ignore[arg-type]
    lines = read_frame(session, QuoteLine.__table__, QUOTE_LINE_FRAME)  # type: ignore[arg-type]
    primary = quotes.filter(pl.col("is_primary")).select(
        pl.col("id").alias("quote_id"), "opportunity_id"
    )
    return lines.join(primary, on="quote_id", how="inner")


def rate_table(session: Session, base: str) -> RateTable:
    """Every stored exchange rate against `base`."""
    rows = session.scalars(select(ExchangeRateRow).where(ExchangeRateRow.base == base)).all()
    return RateTable(base, (ExchangeRate(r.currency, r.base, r.valid_from, r.rate) for r in rows))
