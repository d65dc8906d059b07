"""Read one quote as the approval policy sees it: the user directory, the context, the plan.

Shared by the approvals service modules (`revdesk.approvals.service` re-exports these).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from revdesk.approvals.context import QuoteContext
from revdesk.approvals.directory import Directory, DirectoryUser
from revdesk.approvals.plan import ApprovalPlan
from revdesk.approvals.policy import Policy
from revdesk.approvals.preview import preview
from revdesk.crm import frames as crm_frames
from revdesk.crm.tables import User
from revdesk.pricing.service import get_quote_view_or_raise

__all__ = ["load_directory", "preview_quote", "quote_context"]


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
