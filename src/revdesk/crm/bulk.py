"""Bulk writes of many CRM rows from Polars frames: COPY on PostgreSQL, executemany on SQLite.

The demo generator and the importers write millions of rows; the ORM would spend minutes on
them. Callers reserve ids up front (so history rows can point at opportunities before anything is
written), hand over frames whose columns are table columns, and call `finish()` at the end so
that PostgreSQL's id sequences continue after the highest id written. Runs inside the caller's
transaction; nothing here commits.

    writer = BulkWriter(session)
    ids = writer.reserve("opportunities", len(frame))
    writer.insert("opportunities", frame.with_columns(id=pl.Series(ids)))
    writer.finish()
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from sqlalchemy import Column, Table, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON, Boolean, Date, DateTime

from revdesk.core.errors import InvalidInput
from revdesk.db.base import Base
from revdesk.db.types import Amount, UTCDateTime

_SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%6f"


class BulkWriter:
    """Writes frames into tables of the shared metadata within one session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self._next: dict[str, int] = {}
        self.written: dict[str, int] = {}

    def table(self, name: str) -> Table:
        """The table called `name`, or InvalidInput."""
        try:
            return Base.metadata.tables[name]
        except KeyError:
            raise InvalidInput(f"no table named {name!r}") from None

    def reserve(self, name: str, count: int) -> range:
        """Reserve `count` consecutive ids in table `name`, after every id already used."""
        if name not in self._next:
            table = self.table(name)
            highest = self.session.execute(select(func.max(table.c.id))).scalar()
            if self.dialect == "postgresql":  # ids handed out to transactions not yet committed
                issued = self.session.execute(
                    text("SELECT last_value FROM pg_sequences WHERE sequencename = :seq"),
                    {"seq": f"{name}_id_seq"},
                ).scalar()
                highest = max(int(highest or 0), int(issued or 0))
            self._next[name] = int(highest or 0) + 1
        start = self._next[name]
        self._next[name] = start + count
        if self.dialect == "postgresql" and count:
            # Move the sequence now (setval is not rolled back), so that rows the application
            # inserts while this transaction runs can never take a reserved id.
            self.session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:t, 'id'), GREATEST(:last, "
                    "(SELECT last_value FROM pg_sequences WHERE sequencename = :seq)))"
                ),
                {"t": name, "last": start + count - 1, "seq": f"{name}_id_seq"},
            )
        return range(start, start + count)

    def insert(self, name: str, frame: pl.DataFrame) -> int:
        """Insert every row of `frame` (columns named as the table's) and return the count."""
        if frame.is_empty():
            return 0
        table = self.table(name)
        unknown = [c for c in frame.columns if c not in table.c]
        if unknown:
            raise InvalidInput(f"table {name} has no column(s) {', '.join(unknown)}")
        frame = driver_frame(table, frame, self.dialect)
        if self.dialect == "postgresql":
            self._copy(table, frame)
        else:
            self._executemany(table, frame)
        self.written[name] = self.written.get(name, 0) + frame.height
        return frame.height

    def _copy(self, table: Table, frame: pl.DataFrame) -> None:
        columns = ", ".join(f'"{c}"' for c in frame.columns)
        raw: Any = self.session.connection().connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN WITH (FORMAT csv)') as copy,
        ):
            for chunk in frame.iter_slices(50_000):
                copy.write(chunk.write_csv(include_header=False, null_value=""))

    def _executemany(self, table: Table, frame: pl.DataFrame) -> None:
        columns = ", ".join(f'"{c}"' for c in frame.columns)
        marks = ", ".join("?" for _ in frame.columns)
        sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})'  # noqa: S608 - names from metadata
        connection = self.session.connection()
        for chunk in frame.iter_slices(50_000):
            connection.exec_driver_sql(sql, chunk.rows())

    def finish(self) -> None:
        """Move PostgreSQL id sequences past the highest id written."""
        if self.dialect != "postgresql":
            return
        for name in self.written:
            self.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                    f'(SELECT COALESCE(MAX(id), 1) FROM "{name}"))'
                )
            )


def driver_frame(table: Table, frame: pl.DataFrame, dialect: str) -> pl.DataFrame:
    """The frame's values as the driver (COPY or executemany) wants them for `table`."""
    return frame.with_columns(_encoded(table.c[c], frame[c], dialect) for c in frame.columns)


def _encoded(column: Column[Any], values: pl.Series, dialect: str) -> pl.Expr | pl.Series:
    """The column as the driver wants it: text for decimals, JSON and SQLite timestamps."""
    col = pl.col(column.name)
    kind = column.type
    if isinstance(kind, Amount):
        return col.cast(pl.String)
    if isinstance(kind, JSON) and values.dtype != pl.String:  # String columns are JSON already
        return pl.Series(column.name, [json.dumps(v) for v in values.to_list()], pl.String)
    if isinstance(kind, UTCDateTime | DateTime) and dialect == "sqlite":
        return (
            col.dt.convert_time_zone("UTC")
            .dt.replace_time_zone(None)
            .dt.to_string(_SQLITE_TIMESTAMP)
        )
    if isinstance(kind, Date):
        return col.cast(pl.String)
    if isinstance(kind, Boolean) and dialect == "postgresql":
        return col.cast(pl.String).str.to_lowercase()
    return col
