"""Forecast submissions: every call anyone made, kept forever (append-only).

A new call never updates an old row: it is a new row that names the call it supersedes (the
latest one for the same person and period when it was made). The roll-up at any past moment is
therefore the latest rows made by that moment.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from revdesk.core.clock import utcnow
from revdesk.db.base import Base
from revdesk.db.types import Amount, UTCDateTime, enum_column
from revdesk.forecast.model import SubmissionKind


class ForecastSubmission(Base):
    """One call for one period: `user_id`'s tree, made by `submitted_by_id` (an override when
    that is a manager above the user, with a reason)."""

    __tablename__ = "forecast_submissions"
    __table_args__ = (
        Index("ix_forecast_submissions_period_user", "period", "user_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[SubmissionKind] = mapped_column(enum_column(SubmissionKind))
    commit: Mapped[Decimal] = mapped_column(Amount(20, 4))
    best_case: Mapped[Decimal] = mapped_column(Amount(20, 4))
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("forecast_submissions.id"))
