"""Shared fixtures: a migrated database on SQLite and on PostgreSQL.

PostgreSQL tests use REVDESK_TEST_POSTGRES_URL (default: the local trust-auth server). When it
cannot be reached they skip with the reason, except under CI=true, where they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from revdesk.db.migrate import upgrade
from revdesk.db.uow import Database
from revdesk.schema import metadata

PG_ADMIN_URL = os.environ.get(
    "REVDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure means "not available"
        return str(exc).splitlines()[0]
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session; dropped afterwards."""
    problem = _postgres_problem()
    if problem is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but PostgreSQL at {PG_ADMIN_URL} is unreachable: {problem}")
        pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} is unreachable ({problem}); set CI=true to fail")
    name = f"revdesk_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    db = Database.connect(url)
    upgrade(db.engine)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database.connect(f"sqlite:///{path}")
    upgrade(db.engine)
    db.dispose()
    return path


def _truncate_postgres(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty, migrated database: the same test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "revdesk.db"
        path.write_bytes(template.read_bytes())
        db = Database.connect(f"sqlite:///{path}")
    else:
        db = Database.connect(request.getfixturevalue("postgres_url"))
        _truncate_postgres(db)
    yield db
    db.dispose()
