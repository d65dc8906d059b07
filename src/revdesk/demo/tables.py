"""What the demo generator records about itself: its runs and the defects it injected."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from revdesk.core.clock import utcnow
from revdesk.db.base import Base
from revdesk.db.types import UTCDateTime, enum_column


class DefectKind(StrEnum):
    """CRM hygiene defects the generator injects; the ids hygiene rules are scored against."""

    PAST_CLOSE_DATE = "past_close_date"
    STALE = "stale"
    MISSING_NEXT_STEP = "missing_next_step"
    MISSING_AMOUNT = "missing_amount"
    DUPLICATE = "duplicate"
    PROBABILITY_MISMATCH = "probability_mismatch"
    ORPHAN_CONTACT = "orphan_contact"


class DemoRun(Base):
    """One `revdesk demo` run: its seed, scale, the 'today' it simulated to, and parameters."""

    __tablename__ = "demo_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    seed: Mapped[int] = mapped_column(Integer)
    scale: Mapped[int] = mapped_column(Integer)
    today: Mapped[date] = mapped_column(Date)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DemoDefect(Base):
    """Ground truth: record `entity_id` of `entity` carries defect `kind` as of the run's today."""

    __tablename__ = "demo_defects"
    __table_args__ = (Index("ix_demo_defects_kind_entity", "kind", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("demo_runs.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[DefectKind] = mapped_column(enum_column(DefectKind))
    detail: Mapped[str | None] = mapped_column(String(255))
