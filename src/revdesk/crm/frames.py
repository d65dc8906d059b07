"""Read the CRM into Polars frames for the columnar, read-side analytics.

Millions of rows cannot go through ORM objects, so tables are read in bulk and typed by Polars.
On PostgreSQL `read_frames` reads through Arrow (`revdesk.crm.snapshot_read`: binary COPY in C++,
several queries at once, all from the caller's snapshot); integers, dates, timestamps and booleans
arrive typed, decimals and JSON as text (exact as stored). When the caller's transaction has
written (its rows are invisible to other connections) it streams `COPY (SELECT ...) TO STDOUT` as
CSV on the caller's connection instead; SQLite hands back tuples with every value cast to text in
SQL. The frames follow the contracts in `revdesk.crm.asof`, so any frame read here can be
reconstructed as of a past moment.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import polars as pl
from sqlalchemy import String, Table, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from revdesk.core.fx import ExchangeRate, RateTable
from revdesk.crm.asof import MONEY, UTC_MICROS
from revdesk.crm.snapshot_read import snapshot_reader
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


@dataclass(frozen=True)
class FrameQuery:
    """Columns `schema` of `table`, optionally filtered.

    `bulk` marks a table big enough for the Arrow reader (on PostgreSQL, when the caller has not
    written); `parts` > 1 reads it as that many id ranges at once.
    """

    table: Table
    schema: Mapping[str, pl.DataType]
    where: ColumnElement[bool] | None = None
    parts: int = 1
    bulk: bool = False


def read_frame(
    session: Session,
    table: Table,
    schema: Mapping[str, pl.DataType],
    *,
    where: ColumnElement[bool] | None = None,
) -> pl.DataFrame:
    """Columns `schema` of `table` (optionally filtered) as a typed frame, read in bulk."""
    return read_frames(session, [FrameQuery(table, schema, where)])[0]


def read_frames(session: Session, queries: Sequence[FrameQuery]) -> list[pl.DataFrame]:
    """Several typed frames, sorted by id; on PostgreSQL read concurrently from one snapshot.

    A batch with a `bulk` query is read entirely through the Arrow reader, so that every frame
    comes from one snapshot; other batches are read on the session's connection.
    """
    bulk = any(query.bulk for query in queries)
    reader = snapshot_reader(session) if bulk else None
    if reader is None:
        return [_read_on_session(session, query) for query in queries]
    plans = [_split(session, query) for query in queries]
    raws = iter(reader.read_all([sql for plan in plans for sql in plan]))
    frames: list[pl.DataFrame] = []
    for query, plan in zip(queries, plans, strict=True):
        parts = [next(raws) for _ in plan]
        frame = pl.concat(parts, how="vertical") if len(parts) > 1 else parts[0]
        frame = frame.select(
            _from_arrow(frame, name, dtype) for name, dtype in query.schema.items()
        )
        if "id" in query.schema and not frame["id"].is_sorted():
            frame = frame.sort("id")
        frames.append(frame)
    return frames


def _read_on_session(session: Session, query: FrameQuery) -> pl.DataFrame:
    """Read on the session's own connection: every column as text, typed by Polars."""
    columns = [cast(query.table.c[name], String).label(name) for name in query.schema]
    select_ = select(*columns).order_by(query.table.c.id)
    if query.where is not None:
        select_ = select_.where(query.where)
    if session.get_bind().dialect.name == "postgresql":
        raw = _copy_out(session, select_)
    else:
        rows = session.execute(select_).all()
        raw = pl.DataFrame(rows, schema=dict.fromkeys(query.schema, pl.String()), orient="row")
    return raw.select(_typed(name, dtype) for name, dtype in query.schema.items())


def _split(session: Session, query: FrameQuery) -> list[str]:
    """The SQL of each part: native columns where Arrow carries them, text elsewhere."""
    table = query.table
    columns = [
        table.c[name] if _native(dtype) else cast(table.c[name], String).label(name)
        for name, dtype in query.schema.items()
    ]
    base = select(*columns)
    if query.where is not None:
        base = base.where(query.where)
    if "id" not in query.schema:
        base = base.order_by(table.c.id)  # small tables only; big ones are sorted in Polars
    bounds = _bounds(session, table, query.parts)
    selects = (
        [base.where(table.c.id.between(low, high)) for low, high in bounds] if bounds else [base]
    )
    bind = session.get_bind()
    return [str(part.compile(bind, compile_kwargs={"literal_binds": True})) for part in selects]


def _bounds(session: Session, table: Table, parts: int) -> list[tuple[int, int]]:
    """`parts` contiguous id ranges covering the table (none when one part will do)."""
    if parts < 2:
        return []
    low, high = session.execute(select(func.min(table.c.id), func.max(table.c.id))).one()
    if low is None:
        return []
    step = (high - low) // parts + 1
    return [(start, min(start + step - 1, high)) for start in range(low, high + 1, step)]


def _native(dtype: pl.DataType) -> bool:
    """Whether a column of this dtype is read as is (binary) rather than as text."""
    return dtype in {pl.Int64(), pl.Date(), pl.Boolean()} or dtype == UTC_MICROS


def _from_arrow(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    """Turn a column read through Arrow into `dtype`: text is parsed, binary is cast."""
    actual = frame.schema[name]
    if actual == pl.String() and dtype != pl.String():
        return _typed(name, dtype)
    if dtype == UTC_MICROS and isinstance(actual, pl.Datetime):
        column = pl.col(name).dt.cast_time_unit("us")
        if actual.time_zone is None:
            return column.dt.replace_time_zone("UTC")
        return column.dt.convert_time_zone("UTC")
    return pl.col(name).cast(dtype)


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


OPPORTUNITIES: Final = FrameQuery(Opportunity.__table__, OPPORTUNITY_FRAME, bulk=True)  # type: ignore[arg-type]
# The 1,000,000-deal company has 11.6 M history rows: read them as three id ranges at once.
HISTORY: Final = FrameQuery(OpportunityHistory.__table__, HISTORY_FRAME, parts=3, bulk=True)  # type: ignore[arg-type]
STAGES: Final = FrameQuery(Stage.__table__, STAGE_FRAME)  # type: ignore[arg-type]
USERS: Final = FrameQuery(User.__table__, USER_FRAME)  # type: ignore[arg-type]
TEAMS: Final = FrameQuery(Team.__table__, TEAM_FRAME)  # type: ignore[arg-type]
ACCOUNTS: Final = FrameQuery(Account.__table__, ACCOUNT_FRAME)  # type: ignore[arg-type]
CONTACTS: Final = FrameQuery(Contact.__table__, CONTACT_FRAME, bulk=True)  # type: ignore[arg-type]
PRODUCTS: Final = FrameQuery(Product.__table__, PRODUCT_FRAME)  # type: ignore[arg-type]
QUOTES: Final = FrameQuery(Quote.__table__, QUOTE_FRAME, bulk=True)  # type: ignore[arg-type]
QUOTE_LINES: Final = FrameQuery(QuoteLine.__table__, QUOTE_LINE_FRAME, bulk=True)  # type: ignore[arg-type]


def history_query(fields: Sequence[str], columns: Sequence[str]) -> FrameQuery:
    """The history rows of `fields` only, with `columns` of HISTORY_FRAME (read as HISTORY is)."""
    table: Any = OpportunityHistory.__table__
    return replace(
        HISTORY,
        schema={name: HISTORY_FRAME[name] for name in columns},
        where=table.c.field.in_(list(fields)),
    )


def opportunities(session: Session) -> pl.DataFrame:
    """Every opportunity's current state."""
    return read_frames(session, [OPPORTUNITIES])[0]


def history(session: Session) -> pl.DataFrame:
    """Every field-history row, in insertion (id) order."""
    return read_frames(session, [HISTORY])[0]


def stages(session: Session) -> pl.DataFrame:
    """Stage definitions in pipeline order."""
    return read_frames(session, [STAGES])[0].sort("sort_order")


def users(session: Session) -> pl.DataFrame:
    """Users with their manager and team."""
    return read_frames(session, [USERS])[0]


def teams(session: Session) -> pl.DataFrame:
    """Teams."""
    return read_frames(session, [TEAMS])[0]


def accounts(session: Session) -> pl.DataFrame:
    """Accounts with segment, region and industry."""
    return read_frames(session, [ACCOUNTS])[0]


def contacts(session: Session) -> pl.DataFrame:
    """Contacts with their account (null for orphans)."""
    return read_frames(session, [CONTACTS])[0]


def products(session: Session) -> pl.DataFrame:
    """Products."""
    return read_frames(session, [PRODUCTS])[0]


def primary_quote_lines(session: Session) -> pl.DataFrame:
    """Lines of each opportunity's primary quote, with the opportunity id."""
    quotes, lines = read_frames(session, [QUOTES, QUOTE_LINES])
    return primary_lines(quotes, lines)


def primary_lines(quotes: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """The lines (QUOTE_LINES) of primary quotes (QUOTES), with the opportunity id."""
    primary = quotes.filter(pl.col("is_primary")).select(
        pl.col("id").alias("quote_id"), "opportunity_id"
    )
    return lines.join(primary, on="quote_id", how="inner")


def rate_table(session: Session, base: str) -> RateTable:
    """Every stored exchange rate against `base`."""
    rows = session.scalars(select(ExchangeRateRow).where(ExchangeRateRow.base == base)).all()
    return RateTable(base, (ExchangeRate(r.currency, r.base, r.valid_from, r.rate) for r in rows))
