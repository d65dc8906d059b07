"""A business-hours calendar: working hours per weekday in a timezone, minus holidays.

SLAs count business hours only. Working windows are local wall-clock times converted to UTC
day by day, so a daylight-saving change moves them correctly and a DST day is no longer or
shorter unless the change falls inside working hours::

    calendar = BusinessCalendar(timezone="Europe/Berlin", holidays=frozenset({date(2026, 12, 25)}))
    due = calendar.add_business_hours(submitted_at, Decimal(8))
    spent = calendar.business_hours_between(submitted_at, decided_at)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from revdesk.core.clock import ensure_utc
from revdesk.core.errors import InvalidInput

__all__ = ["WEEKDAYS", "BusinessCalendar", "calendar_from_data", "load_calendar_file"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NINE_TO_FIVE = (time(9), time(17))
_STANDARD_HOURS = MappingProxyType(dict.fromkeys(range(5), _NINE_TO_FIVE))
_MAX_DAYS = 3700  # ten years: an SLA longer than that is a mistake, not a deadline
_HOUR = Decimal(3600)


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Working hours per weekday (0 = Monday; a missing day is closed), timezone, holidays."""

    timezone: str = "UTC"
    hours: Mapping[int, tuple[time, time]] = field(default_factory=lambda: _STANDARD_HOURS)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"unknown timezone {self.timezone!r}", where="calendar") from None
        if not any(start < end for start, end in self.hours.values()):
            raise InvalidInput("the calendar has no working hours on any day", where="calendar")

    def windows(self, start_day: date) -> Iterator[tuple[datetime, datetime]]:
        """Working windows in UTC, day by day from `start_day` (local), for ten years at most."""
        zone = ZoneInfo(self.timezone)
        for offset in range(_MAX_DAYS):
            day = start_day + timedelta(days=offset)
            opening = self.hours.get(day.weekday())
            if opening is None or day in self.holidays or opening[0] >= opening[1]:
                continue
            begin = datetime.combine(day, opening[0], tzinfo=zone).astimezone(UTC)
            end = datetime.combine(day, opening[1], tzinfo=zone).astimezone(UTC)
            yield begin, end

    def local_day(self, moment: datetime) -> date:
        """The calendar's local date at `moment`."""
        return ensure_utc(moment).astimezone(ZoneInfo(self.timezone)).date()

    def add_business_hours(self, start: datetime, hours: Decimal) -> datetime:
        """The moment `hours` working hours after `start` (UTC)."""
        if hours < 0:
            raise InvalidInput(f"cannot add {hours} business hours", where="calendar")
        cursor = ensure_utc(start)
        remaining = timedelta(seconds=float(hours * _HOUR))
        if not remaining:
            return cursor
        for begin, end in self.windows(self.local_day(cursor)):
            if end <= cursor:
                continue
            start_at = max(begin, cursor)
            if remaining <= end - start_at:
                return start_at + remaining
            remaining -= end - start_at
        raise InvalidInput(f"{hours} business hours reach beyond ten years", where="calendar")

    def business_hours_between(self, start: datetime, end: datetime) -> Decimal:
        """Working hours from `start` to `end` (0 when `end` is not after `start`)."""
        first, last = ensure_utc(start), ensure_utc(end)
        seconds = 0
        if last <= first:
            return Decimal(0)
        for begin, finish in self.windows(self.local_day(first)):
            if begin >= last:
                break
            overlap = min(finish, last) - max(begin, first)
            if overlap > timedelta(0):
                seconds += int(overlap.total_seconds())
        return Decimal(seconds) / _HOUR


def _clock(text: str, where: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a time (expected HH:MM)", where=where) from None


def _hours(data: Mapping[str, Any], where: str) -> dict[int, tuple[time, time]]:
    hours: dict[int, tuple[time, time]] = {}
    for name, span in data.items():
        key = str(name).strip().lower()[:3]
        if key not in WEEKDAYS:
            raise InvalidInput(f"unknown weekday {name!r}", where=f"{where}: hours")
        if span in (None, "closed"):
            continue
        parts = str(span).split("-")
        if len(parts) != 2:
            raise InvalidInput(f"{span!r} is not HH:MM-HH:MM", where=f"{where}: hours.{name}")
        begin, end = (_clock(part, f"{where}: hours.{name}") for part in parts)
        if begin >= end:
            raise InvalidInput(f"{span!r} ends before it starts", where=f"{where}: hours.{name}")
        hours[WEEKDAYS.index(key)] = (begin, end)
    return hours


def calendar_from_data(data: Mapping[str, Any], *, where: str = "calendar") -> BusinessCalendar:
    """A calendar from `{timezone, hours: {mon: "09:00-17:00", ...}, holidays: [dates]}`."""
    unknown = set(data) - {"timezone", "hours", "holidays"}
    if unknown:
        raise InvalidInput(f"unknown keys {sorted(unknown)}", where=where)
    holidays: set[date] = set()
    for raw in data.get("holidays") or []:
        try:
            holidays.add(raw if isinstance(raw, date) else date.fromisoformat(str(raw)))
        except ValueError:
            raise InvalidInput(f"holiday {raw!r} is not a date", where=where) from None
    hours = _hours(data["hours"], where) if "hours" in data else dict(_STANDARD_HOURS)
    return BusinessCalendar(
        timezone=str(data.get("timezone", "UTC")),
        hours=MappingProxyType(hours),
        holidays=frozenset(holidays),
    )


def load_calendar_file(path: Path) -> BusinessCalendar:
    """The calendar in a YAML file (see `calendar_from_data`); errors name the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc.strerror}", where=str(path)) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"not YAML: {exc}", where=str(path)) from None
    if not isinstance(data, dict):
        raise InvalidInput("expected a mapping with timezone, hours, holidays", where=str(path))
    return calendar_from_data(data, where=str(path))
