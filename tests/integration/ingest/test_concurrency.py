"""Two imports at once: exactly one runs, the other is refused with Conflict."""

from __future__ import annotations

from pathlib import Path

import pytest

from revdesk.core.errors import Conflict
from revdesk.crm.service import count_records
from revdesk.db.uow import Database
from revdesk.ingest import store
from revdesk.ingest.maven import extract_maven
from revdesk.ingest.service import ImportOptions, run_import


def test_an_import_while_another_holds_the_lock_gets_conflict(
    database: Database, maven: Path
) -> None:
    extract = extract_maven(maven)
    other = Database.connect(database.engine.url.render_as_string(hide_password=False))
    try:
        with other.uow() as running:
            store.lock(running.session)  # the first import is mid-way
            with pytest.raises(Conflict, match="another import"):
                run_import(database, extract, options=ImportOptions())
        report = run_import(database, extract, options=ImportOptions())  # now it may run
    finally:
        other.dispose()

    assert report.committed
    with database.uow() as uow:
        assert count_records(uow.session)["opportunities"] == 8800
