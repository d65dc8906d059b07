"""Use cases of approvals that read the database: the directory, preview, simulation inputs.

Each function works inside the caller's unit of work and writes nothing. Money in other
currencies is compared in the base currency at the rate in force on the day the quote was
created, so that a preview and a later simulation of the same quote agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from revdesk.approvals.context import QuoteContext
from revdesk.approvals.directory import Directory, DirectoryUser
from revdesk.approvals.plan import ApprovalPlan
from revdesk.approvals.policy import Policy
from revdesk.approvals.preview import preview
from revdesk.approvals.simulate import SimulationReport, simulate
from revdesk.core.clock import start_of_day
from revdesk.core.errors import NotFound
from revdesk.crm import frames as crm_frames
from revdesk.crm.tables import User
from revdesk.pricing.frames import QuoteFrames
from revdesk.pricing.service import get_quote_view_or_raise, quote_frames

__all__ = [
    "load_directory",
    "preview_quote",
    "quote_context",
    "quote_rates",
    "simulate_change",
]

_MISSING_SHOWN = 5


def load_directory(session: Session) -> Directory:
    """Every user, with role, manager and whether they are active."""
    users = session.scalars(select(User).order_by(User.id))
    return Directory(
        DirectoryUser(u.id, u.name, u.email, u.role, u.manager_id, u.active) for u in users
    )


def quote_context(session: Session, quote_id: int, *, base_currency: str) -> QuoteContext:
    """The quote as a policy sees it, with its currency's rate on its creation day."""
    view = get_quote_view_or_raise(session, quote_id)
    rates = crm_frames.rate_table(session, base_currency)
    day = view.created_on or view.start_date
    return QuoteContext(view, fx_rate=rates.rate(view.currency, day), base_currency=base_currency)


def preview_quote(
    session: Session, policy: Policy, quote_id: int, *, base_currency: str
) -> ApprovalPlan:
    """The approval plan of one stored quote under `policy`."""
    context = quote_context(session, quote_id, base_currency=base_currency)
    return preview(policy, context, load_directory(session))


def quote_rates(session: Session, quotes: pl.DataFrame, *, base_currency: str) -> pl.DataFrame:
    """(quote_id, fx_rate) of every quote not in `base_currency`, at its creation day's rate."""
    table = crm_frames.rate_table(session, base_currency)
    foreign = quotes.filter(pl.col("currency") != base_currency).select(
        "quote_id", "currency", "created_on"
    )
    rates = table.frame().sort("valid_from")
    joined = foreign.sort("created_on").join_asof(
        rates, left_on="created_on", right_on="valid_from", by="currency", check_sortedness=False
    )
    missing = joined.filter(pl.col("rate").is_null()).select("currency", "created_on").unique()
    if missing.height:
        shown = ", ".join(
            f"{code}->{base_currency} on {day.isoformat()}"
            for code, day in missing.sort("created_on").head(_MISSING_SHOWN).iter_rows()
        )
        raise NotFound(f"no exchange rate on or before the quote's creation day: {shown}")
    return joined.select("quote_id", pl.col("rate").alias("fx_rate")).sort("quote_id")


def simulate_change(
    session: Session,
    new: Policy,
    current: Policy,
    *,
    since: date | None,
    base_currency: str,
    durations: Mapping[str, Decimal] | None = None,
    limit: int = 50,
) -> SimulationReport:
    """Replay `new` and `current` on the quotes created on or after `since` (all if None)."""
    moment = start_of_day(since) if since is not None else None
    frames: QuoteFrames = quote_frames(session, since=moment)
    rates = quote_rates(session, frames.quotes, base_currency=base_currency)
    directory = load_directory(session)
    return simulate(new, current, frames, directory, rates=rates, durations=durations, limit=limit)
