"""Bulk reads out of PostgreSQL as Arrow columns, from the caller's own snapshot.

`COPY ... TO STDOUT` through psycopg hands Python one row per call (about a microsecond each, so
11 s for the 11.6 M history rows of the 1,000,000-deal company) and makes PostgreSQL format every
value as text for Polars to parse again. The ADBC PostgreSQL driver reads `COPY ... (FORMAT
binary)` in C++ and returns Arrow columns: integers, timestamps, dates and booleans travel as
binary, only text stays text, and no Python runs per row. Its calls release the GIL, so several
reads run at once on separate connections (PostgreSQL formats one while the driver decodes another).
Opening a connection costs a read of the type catalogue (tens of milliseconds), so this is for bulk
reads only: `revdesk.crm.frames` reads small tables on the caller's connection.

Consistency: those connections are not the caller's. Each one imports the snapshot of the caller's
transaction (`pg_export_snapshot()` there, `SET TRANSACTION SNAPSHOT` here), so every frame shows
the database exactly as one moment of the caller's transaction saw it, whatever commits meanwhile.
A transaction's own uncommitted writes are invisible to any other connection, so when the caller
has written anything (`pg_current_xact_id_if_assigned()` is not null) `snapshot_reader` returns
None and the caller reads on its own connection instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import adbc_driver_postgresql.dbapi as adbc  # type: ignore[import-untyped]
import polars as pl
from sqlalchemy import text
from sqlalchemy.orm import Session

# Two cores is the target machine; a third read keeps PostgreSQL busy while two are decoded.
WORKERS: Final = 3


@dataclass(frozen=True)
class SnapshotReader:
    """Runs read-only queries on new connections that share one exported snapshot.

    reader = snapshot_reader(session)
    if reader is not None:
        history, opportunities = reader.read_all(["SELECT ...", "SELECT ..."])
    """

    uri: str
    snapshot: str

    def read(self, sql: str) -> pl.DataFrame:
        """The result of one query, as a frame of Arrow-typed columns."""
        return self.read_all([sql])[0]

    def read_all(self, queries: Sequence[str]) -> list[pl.DataFrame]:
        """The results of several queries, read concurrently, in the order given.

        Each of up to WORKERS connections runs every WORKERS-th query in turn (connecting costs
        a catalogue read, so connections are not opened per query); consecutive queries, such as
        the parts of one table, therefore run at the same time.
        """
        lanes = min(WORKERS, len(queries))
        found: dict[int, pl.DataFrame] = {}

        def run(lane: int) -> None:
            with self._transaction() as cursor:
                for index in range(lane, len(queries), lanes):
                    cursor.execute(queries[index])
                    frame = pl.from_arrow(cursor.fetch_arrow_table())
                    assert isinstance(frame, pl.DataFrame)
                    found[index] = frame

        if lanes == 1:
            run(0)
        else:
            with ThreadPoolExecutor(max_workers=lanes) as pool:
                list(pool.map(run, range(lanes)))
        return [found[index] for index in range(len(queries))]

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A cursor in a read-only transaction that has imported the snapshot."""
        with adbc.connect(self.uri, autocommit=True) as conn, conn.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{self.snapshot}'")
                yield cursor
            finally:
                cursor.execute("ROLLBACK")


def snapshot_reader(session: Session) -> SnapshotReader | None:
    """A reader seeing what `session`'s transaction sees; None unless PostgreSQL, unwritten."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    connection = session.connection()  # opens the transaction if it is not open yet
    if connection.execute(text("SELECT pg_current_xact_id_if_assigned()")).scalar() is not None:
        return None
    snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    uri = connection.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return SnapshotReader(uri=uri, snapshot=str(snapshot))
