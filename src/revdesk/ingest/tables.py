"""What the importer records about itself: one row per committed import run, with its report.

The row is written first thing in the import's transaction, which makes it the import lock on
SQLite (the database's single writer); PostgreSQL takes a transaction-scoped advisory lock too.
A run that is refused or rolled back leaves no row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from revdesk.core.clock import utcnow
from revdesk.db.base import Base
from revdesk.db.types import UTCDateTime


class ImportRun(Base):
    """One committed import: where from, when, with which options, and its report."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    location: Mapped[str] = mapped_column(String(1000))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    skip_invalid: Mapped[bool] = mapped_column(Boolean, default=False)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
