"""Helpers of the import tests: where their files are, and counting what was written."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from revdesk.crm.tables import OpportunityHistory
from revdesk.db.uow import Database

ROOT = Path(__file__).parents[1]
SHARED = ROOT.parent / "shared" / "data"
DATA = ROOT / "tests" / "data" / "ingest"
DEVORG = SHARED / "salesforce-devorg"
MAVEN = SHARED / "maven-crm"


def history_rows(db: Database) -> int:
    """How many field-history rows the database holds."""
    with db.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(OpportunityHistory)) or 0
