"""Jinja filters for money, percentages and SLA clocks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fastapi.templating import Jinja2Templates

from revdesk.core.clock import utcnow

__all__ = ["install_filters", "money", "percent", "time_left"]


def money(value: Decimal | float | int | None, currency: str = "") -> str:
    """1234.5 -> '1,234.50 USD'."""
    if value is None:
        return "—"
    text = f"{Decimal(str(value)):,.2f}"
    return f"{text} {currency}".strip()


def percent(value: Decimal | float | None) -> str:
    """0.125 -> '12.5 %'."""
    if value is None:
        return "—"
    return f"{Decimal(str(value)) * 100:.1f} %"


def time_left(due: datetime | None, now: datetime | None = None) -> str:
    """'3 h 20 min left' or 'overdue by 2 h 5 min'; '' without a due time."""
    if due is None:
        return ""
    seconds = int((due - (now or utcnow())).total_seconds())
    hours, minutes = divmod(abs(seconds) // 60, 60)
    days, hours = divmod(hours, 24)
    parts = ([f"{days} d"] if days else []) + [f"{hours} h", f"{minutes} min"]
    text = " ".join(parts)
    return f"{text} left" if seconds >= 0 else f"overdue by {text}"


def install_filters(templates: Jinja2Templates) -> None:
    """Register the filters."""
    templates.env.filters["money"] = money
    templates.env.filters["percent"] = percent
    templates.env.filters["time_left"] = time_left
    templates.env.globals["zip"] = zip
