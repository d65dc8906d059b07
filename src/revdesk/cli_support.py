"""What every command of the `revdesk` CLI shares: settings, database opening, consoles.

Capability folders may add a `cli.py` with a Typer app that `revdesk.cli` registers; they take
their database through `DatabaseOption` and `open_database` so that every command validates
settings and schema the same way.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from revdesk.core.errors import StorageError
from revdesk.core.settings import Settings, load_settings
from revdesk.db.migrate import current_revision, head_revision
from revdesk.db.uow import Database

console = Console()
errors = Console(stderr=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="SQLAlchemy URL; default REVDESK_DATABASE_URL or revdesk.toml"),
]


def settings_for(database: str | None) -> Settings:
    """The settings, with `--database` overriding the configured URL when given."""
    return load_settings(database_url=database) if database else load_settings()


def open_database(settings: Settings, *, migrated: bool = True) -> Database:
    """Connect; with `migrated`, refuse a database whose schema is not at the code's head."""
    db = Database.connect(settings.database_url, echo=settings.sql_echo)
    if migrated:
        current, head = current_revision(db.engine), head_revision(db.engine)
        if current != head:
            db.dispose()
            state = "empty" if current is None else f"at revision {current}"
            raise StorageError(
                f"the database is {state}, this RevDesk needs {head}: run `revdesk db upgrade`"
            )
    return db
