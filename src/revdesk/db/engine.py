"""Engines for SQLite (the default, WAL mode) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from revdesk.core.errors import StorageError

SETTING = "REVDESK_DATABASE_URL"
_SUPPORTED = ("sqlite", "postgresql")


def parse_url(raw: str) -> URL:
    """Parse and normalise a database URL; `postgresql://` means psycopg 3."""
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise StorageError(
            f"cannot parse {raw!r}: expected sqlite:///path or postgresql+psycopg://user@host/db",
            where=SETTING,
        ) from None
    backend = url.get_backend_name()
    if backend not in _SUPPORTED:
        raise StorageError(
            f"unsupported database {backend!r} in {url.render_as_string()}: "
            "use sqlite or postgresql",
            where=SETTING,
        )
    if backend == "postgresql" and url.drivername != "postgresql+psycopg":
        url = url.set(drivername="postgresql+psycopg")
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(raw_url: str, *, echo: bool = False) -> Engine:
    """Create an engine for `raw_url`; SQLite files run in WAL mode with foreign keys on."""
    url = parse_url(raw_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database not in ("", ":memory:"):
            folder = Path(database).expanduser().resolve().parent
            if not folder.is_dir():
                raise StorageError(f"folder {folder} does not exist", where=SETTING)
        engine = create_engine(url, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, echo=echo, pool_pre_ping=True)
    except NoSuchModuleError as exc:
        raise StorageError(str(exc), where=SETTING) from None


def check_connection(engine: Engine) -> None:
    """Open one connection, or raise StorageError saying which database and why."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        shown = engine.url.render_as_string(hide_password=True)
        raise StorageError(f"cannot reach {shown}: {reason}", where=SETTING) from None
