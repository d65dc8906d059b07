"""The importer's storage side: reading current rows as frames, writing creates and updates fast.

Creates go through `BulkWriter` (COPY on PostgreSQL). A large load into PostgreSQL drops the
table's secondary indexes, unique and foreign-key constraints inside the import's transaction
and recreates them from the metadata afterwards, which is several times faster than maintaining
them row by row; the table is locked against other writers and readers until the import commits.
Updates go through a temporary table and one UPDATE ... FROM on PostgreSQL, executemany on
SQLite. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import polars as pl
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.schema import (
    AddConstraint,
    CreateIndex,
    DropConstraint,
    DropIndex,
    ForeignKeyConstraint,
    UniqueConstraint,
)

from revdesk.core.errors import Conflict
from revdesk.crm.bulk import BulkWriter, driver_frame
from revdesk.crm.frames import read_frame
from revdesk.db.base import Base
from revdesk.db.types import Amount, UTCDateTime
from revdesk.ingest.dates import UTC_MICROS
from revdesk.ingest.specs import ColumnRule

CHUNK: Final = 200_000
BULK_ROWS: Final = 100_000
_LOCK_KEY: Final = 0x52455644  # "REVD": one advisory lock for every import
Progress = Callable[[int], None]


def table(name: str) -> Table:
    """The table called `name` in the shared metadata."""
    return Base.metadata.tables[name]


def _default(column: Any) -> object:
    default = column.default
    if default is None:
        return None
    arg = default.arg
    if callable(arg):
        name = getattr(arg, "__name__", "")
        return {"utcnow": "now", "dict": "{}", "list": "[]"}.get(name)
    return arg.value if hasattr(arg, "value") else arg


def column_rules(name: str) -> dict[str, ColumnRule]:
    """Every column of table `name` as a ColumnRule (dtype, length, limit, choices, default)."""
    rules = {}
    for column in table(name).columns:
        kind: Any = column.type
        dtype: pl.DataType = pl.String()
        length = limit = choices = None
        if isinstance(kind, Amount):
            dtype, limit = pl.Decimal(38, kind.scale), Decimal(10) ** (kind.precision - kind.scale)
        elif isinstance(kind, UTCDateTime | DateTime):
            dtype = UTC_MICROS
        elif isinstance(kind, Date):
            dtype = pl.Date()
        elif isinstance(kind, Boolean):
            dtype = pl.Boolean()
        elif isinstance(kind, Integer):
            dtype, limit = (
                pl.Int64(),
                None if column.primary_key or column.foreign_keys else (Decimal(2**31)),
            )
        elif isinstance(kind, Enum):
            choices = tuple(kind.enums)
        elif isinstance(kind, String) and not isinstance(kind, Text):
            length = kind.length
        rules[column.name] = ColumnRule(
            column.name, dtype, length, limit, choices, bool(column.nullable), _default(column)
        )
    return rules


def read_rows(session: Session, name: str, columns: list[str]) -> pl.DataFrame:
    """Every row of table `name`, the given columns, typed as the importer's frames are."""
    rules = column_rules(name)
    wanted = list(dict.fromkeys(c for c in ["id", *columns] if c in rules))
    return read_frame(session, table(name), {c: rules[c].dtype for c in wanted})


def watermarks(session: Session, source: str) -> pl.DataFrame:
    """Per opportunity, the latest change copied from `source`'s own history."""
    history = table("opportunity_history")
    query = (
        select(history.c.opportunity_id, func.max(history.c.changed_at))
        .where(history.c.source == source)
        .group_by(history.c.opportunity_id)
    )
    rows = [tuple(r) for r in session.execute(query).all()]
    schema = {"opportunity_id": pl.Int64(), "_last": UTC_MICROS}
    return pl.DataFrame(rows, schema=schema, orient="row")


def lock(session: Session) -> None:
    """Take the import lock for this transaction, or raise Conflict at once."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        got = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        if not got.scalar():
            raise Conflict("another import is running on this database; try again when it ends")
        return
    session.execute(text("PRAGMA busy_timeout = 2000"))
    # a large page cache for this connection: index maintenance of big loads stays in memory
    session.execute(text("PRAGMA cache_size = -262144"))
    try:
        # a write statement, even one that matches nothing, takes SQLite's single writer lock
        session.execute(text("DELETE FROM import_runs WHERE id < 0"))
    except OperationalError as exc:
        if "locked" not in str(exc).lower():
            raise
        raise Conflict(
            "another import (or another writer) holds the database; try again when it ends"
        ) from None
    finally:
        session.execute(text("PRAGMA busy_timeout = 10000"))


def update_rows(
    session: Session, name: str, frame: pl.DataFrame, *, at: datetime, bump: bool = False
) -> int:
    """Set the frame's columns on the rows with its ids; `bump` adds 1 to the row's version."""
    if frame.is_empty() or frame.width < 2:
        return 0
    tab = table(name)
    dialect = session.get_bind().dialect.name
    columns = [c for c in frame.columns if c != "id"]
    data = driver_frame(tab, frame.select("id", *columns), dialect)
    if dialect == "postgresql":
        _update_postgres(session, name, data, columns, bump=bump, at=at)
    else:
        sets = [f'"{c}" = ?' for c in columns]
        if bump:
            sets += ['"version" = "version" + 1', '"updated_at" = ?']
        stamp = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        sql = f'UPDATE "{name}" SET {", ".join(sets)} WHERE id = ?'  # noqa: S608 - metadata names
        for chunk in data.iter_slices(50_000):
            params = [(*row[1:], *((stamp,) if bump else ()), row[0]) for row in chunk.rows()]
            session.connection().exec_driver_sql(sql, params)
    return frame.height


def _update_postgres(
    session: Session,
    name: str,
    data: pl.DataFrame,
    columns: list[str],
    *,
    bump: bool,
    at: datetime,
) -> None:
    quoted = ", ".join(f'"{c}"' for c in ["id", *columns])
    session.execute(
        text(
            f"CREATE TEMP TABLE _revdesk_update ON COMMIT DROP AS SELECT {quoted} "  # noqa: S608
            f'FROM "{name}" WITH NO DATA'
        )
    )
    raw: Any = session.connection().connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY _revdesk_update ({quoted}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):
        for chunk in data.iter_slices(50_000):
            copy.write(chunk.write_csv(include_header=False, null_value=""))
    sets = [f'"{c}" = u."{c}"' for c in columns]
    if bump:
        sets += ['"version" = t."version" + 1', '"updated_at" = :at']
    session.execute(
        text(
            f'UPDATE "{name}" AS t SET {", ".join(sets)} FROM _revdesk_update AS u '  # noqa: S608
            "WHERE t.id = u.id"
        ),
        {"at": at},
    )
    session.execute(text("DROP TABLE _revdesk_update"))


@contextmanager
def bulk_load(session: Session, name: str, rows: int) -> Iterator[None]:
    """For a load at least as large as the table, rebuild its indexes afterwards.

    PostgreSQL also drops and re-adds the unique and foreign-key constraints (re-adding checks
    every row at once); SQLite keeps its constraints, which it cannot drop.
    """
    tab = table(name)
    present = session.execute(select(func.count()).select_from(tab)).scalar() or 0
    if rows < BULK_ROWS or rows < present:
        yield
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    kinds = UniqueConstraint | ForeignKeyConstraint
    constraints = [c for c in tab.constraints if isinstance(c, kinds)] if postgres else []
    for constraint in constraints:
        session.execute(DropConstraint(constraint))
    for index in tab.indexes:
        session.execute(DropIndex(index))
    yield
    for index in tab.indexes:
        session.execute(CreateIndex(index))
    for constraint in constraints:
        session.execute(AddConstraint(constraint))


def insert_rows(writer: BulkWriter, name: str, frame: pl.DataFrame, progress: Progress) -> int:
    """Insert the frame in chunks, reporting the rows done after each."""
    done = 0
    for chunk in frame.iter_slices(CHUNK):
        done += writer.insert(name, chunk)
        progress(chunk.height)
    return done


def delete_where(session: Session, name: str, column: str, ids: pl.Series) -> None:
    """Delete the rows of table `name` whose `column` is one of `ids`."""
    tab = table(name)
    values = ids.to_list()
    for start in range(0, len(values), 10_000):
        session.execute(tab.delete().where(tab.c[column].in_(values[start : start + 10_000])))


def imported_quotes(session: Session) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every quote's id, key, deal and version; the lines of quotes made from line items."""
    rules, line_rules = column_rules("quotes"), column_rules("quote_lines")
    quote_columns = ("id", "external_id", "opportunity_id", "version", "row_version")
    quotes = read_frame(session, table("quotes"), {c: rules[c].dtype for c in quote_columns})
    ours = select(table("quotes").c.id).where(table("quotes").c.external_id.like("oli:%"))
    line_columns = ("quote_id", "line_no", "product_id", "quantity", "list_unit_price",
                    "net_unit_price", "description")  # fmt: skip
    lines = read_frame(
        session,
        table("quote_lines"),
        {c: line_rules[c].dtype for c in line_columns},
        where=table("quote_lines").c.quote_id.in_(ours),
    )
    return quotes, lines
