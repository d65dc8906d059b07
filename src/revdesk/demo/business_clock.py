"""Vectorised business hours of the standard calendar (Monday to Friday, 09:00-17:00 UTC, no
holidays): the demo's approval history moves whole columns of timestamps at once.

A timestamp maps to the business seconds elapsed since a Monday long ago; adding business
hours is then plain addition, and mapping back lands inside working hours. Agrees with
`revdesk.approvals.calendar.BusinessCalendar()` (tested against it)::

    due = from_business(to_business(opened_us) + sla_hours * 3600)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["from_business", "to_business"]

Ints = npt.NDArray[np.int64]

_MONDAY = 4 * 86_400  # 1970-01-05, a Monday, in seconds after the Unix epoch
_DAY, _WEEK = 86_400, 7 * 86_400
_OPEN, _SHIFT = 9 * 3600, 8 * 3600
_WORK_WEEK = 5 * _SHIFT


def to_business(micros: Ints) -> Ints:
    """Business seconds before each timestamp (microseconds since the epoch, UTC)."""
    seconds = micros // 1_000_000 - _MONDAY
    week, rest = np.divmod(seconds, _WEEK)
    day, clock = np.divmod(rest, _DAY)
    within = np.clip(clock - _OPEN, 0, _SHIFT)
    return np.asarray(week * _WORK_WEEK + np.where(day < 5, day * _SHIFT + within, _WORK_WEEK))


def from_business(seconds: Ints) -> Ints:
    """The timestamp (microseconds since the epoch) at which that many business seconds passed.

    A count that ends a working day exactly maps to 17:00 that day, as the calendar does, not
    to 09:00 the next working day: the second before is placed, then one second added.
    """
    week, rest = np.divmod(seconds - 1, _WORK_WEEK)
    day, offset = np.divmod(rest, _SHIFT)
    at = _MONDAY + week * _WEEK + day * _DAY + _OPEN + offset + 1
    return np.asarray(at * 1_000_000)
