"""Timezone-aware UTC time: the only clock the rest of the code reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from revdesk.core.errors import InvalidInput


def utcnow() -> datetime:
    """Return the current moment as an aware UTC datetime."""
    return datetime.now(UTC)


def ensure_utc(moment: datetime, *, where: str | None = None) -> datetime:
    """Return `moment` converted to UTC; a naive datetime is refused, never guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"datetime {moment.isoformat()} has no timezone", where=where)
    return moment.astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """Return the last representable microsecond of `day` in UTC."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def start_of_day(day: date) -> datetime:
    """Return midnight at the start of `day` in UTC."""
    return datetime.combine(day, time.min, tzinfo=UTC)
