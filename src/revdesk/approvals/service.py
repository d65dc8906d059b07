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
from sqlalchemy.orm import Session

from revdesk.approvals.policy import Policy
from revdesk.approvals.reading import load_directory, preview_quote, quote_context
from revdesk.approvals.simulate import SimulationReport, simulate
from revdesk.core.clock import start_of_day
from revdesk.core.errors import NotFound
from revdesk.crm import frames as crm_frames
from revdesk.pricing.frames import QuoteFrames
from revdesk.pricing.service import quote_frames

__all__ = [
    "load_directory",
    "preview_quote",
    "quote_context",
    "quote_rates",
    "simulate_change",
]

_MISSING_SHOWN = 5


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


# The approval workflow's use cases live in their own modules; this is their public face.
# (imported last: those modules use the read-side functions above)
from revdesk.approvals.audit import AuditReport  # noqa: E402
from revdesk.approvals.audit import verify as verify_audit  # noqa: E402
from revdesk.approvals.decisions import approve, reject  # noqa: E402
from revdesk.approvals.engine import get_request_or_raise  # noqa: E402
from revdesk.approvals.escalation import (  # noqa: E402
    Reminder,
    due_reminders,
    escalate,
    escalate_overdue,
    record_reminders,
)
from revdesk.approvals.inbox import (  # noqa: E402
    RequestRow,
    RequestView,
    list_requests,
    request_view,
)
from revdesk.approvals.policies import (  # noqa: E402
    ActivePolicy,
    activate_policy,
    active_policy,
)
from revdesk.approvals.requests import (  # noqa: E402
    bypass,
    quote_changed,
    recall,
    resubmit,
    return_for_revision,
    submit,
)
from revdesk.approvals.routing import add_approver, delegate, reassign  # noqa: E402

__all__ += [
    "ActivePolicy",
    "AuditReport",
    "Reminder",
    "RequestRow",
    "RequestView",
    "activate_policy",
    "active_policy",
    "add_approver",
    "approve",
    "bypass",
    "delegate",
    "due_reminders",
    "escalate",
    "escalate_overdue",
    "get_request_or_raise",
    "list_requests",
    "quote_changed",
    "reassign",
    "recall",
    "record_reminders",
    "reject",
    "request_view",
    "resubmit",
    "return_for_revision",
    "submit",
    "verify_audit",
]
