"""Hand-made deals for forecasting tests: one line per deal, every figure computable by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

from revdesk.core.clock import end_of_day
from revdesk.core.fiscal import FiscalCalendar
from unit.forecast.synthetic import CATEGORY, Deal

CALENDAR = FiscalCalendar(start_month=2)


def at(day: str, hour: int = 12) -> datetime:
    """Noon (or `hour`) UTC of an ISO day."""
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC).replace(
        hour=hour
    )


def eod(day: str) -> datetime:
    """The end of an ISO day, UTC: the moment a forecast 'as of that day' is made."""
    return end_of_day(date.fromisoformat(day))


def deal(
    number: int,
    created: str,
    amount: str,
    close: str,
    stage: str = "Discovery",
    *,
    ends: tuple[str, str] | None = None,
    owner: int = 4,
    account: int = 1,
    later: list[tuple[str, str, str]] | None = None,
) -> Deal:
    """A deal created on `created` in `stage`; `ends` = (day, "Won" | "Lost") closes it that day.

    `later` adds (day, field, value) changes. Closing sets the close date to the closing day.
    """
    made = at(created, 9)
    result = Deal(number, made, owner, account)
    result.events += [
        (made, "stage", stage),
        (made, "forecast_category", CATEGORY[stage]),
        (made, "amount", amount),
        (made, "close_date", close),
        (made, "owner", str(owner)),
    ]
    for day, name, value in later or []:
        result.events.append((at(day, 10), name, value))
    if ends is not None:
        day, outcome = ends
        result.events += [
            (at(day, 15), "stage", outcome),
            (at(day, 15), "forecast_category", CATEGORY[outcome]),
            (at(day, 15), "close_date", day),
        ]
    return result
