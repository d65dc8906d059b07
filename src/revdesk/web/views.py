"""What the API and the pages share: visible records (404 otherwise), quotes with economics,
the policy in force and its readable rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from revdesk.approvals.policy import Policy
from revdesk.approvals.service import active_policy
from revdesk.core.errors import NotFound
from revdesk.crm.browse import DealRow, get_opportunity_or_raise, opportunity_of_quote, quotes_of
from revdesk.pricing.economics import QuoteEconomics, quote_economics
from revdesk.pricing.model import QuoteView
from revdesk.pricing.service import get_quote_view_or_raise
from revdesk.web.deps import Actor
from revdesk.web.workflow_views import involved_in_deal

__all__ = [
    "QuoteBundle",
    "policy_in_force",
    "policy_rules",
    "visible_deal",
    "visible_quote",
]


def visible_deal(session: Session, actor: Actor, opportunity_id: int) -> DealRow:
    """The deal, or NotFound when it does not exist or the actor may not see it.

    Beyond their role's deals, users see the deals whose approval they take part in.
    """
    row = get_opportunity_or_raise(session, opportunity_id)
    if actor.sees(row.opportunity.owner_id):
        return row
    quote_ids = [q.id for q in quotes_of(session, opportunity_id)]
    if not involved_in_deal(session, actor, quote_ids):
        raise NotFound(f"opportunity {opportunity_id} does not exist")
    return row


@dataclass(frozen=True)
class QuoteBundle:
    """A quote, its deal and its economics."""

    deal: DealRow
    view: QuoteView
    economics: QuoteEconomics


def visible_quote(session: Session, actor: Actor, quote_id: int) -> QuoteBundle:
    """The quote with its economics, or NotFound when it does not exist or is not visible."""
    try:
        deal = visible_deal(session, actor, opportunity_of_quote(session, quote_id))
    except NotFound:
        raise NotFound(f"quote {quote_id} does not exist") from None
    view = get_quote_view_or_raise(session, quote_id)
    return QuoteBundle(deal, view, quote_economics(view))


def policy_in_force(session: Session) -> Policy:
    """The policy in force: the one activated in the database, else the shipped standard."""
    return active_policy(session).policy


def policy_rules(policy: Policy) -> list[dict[str, Any]]:
    """Each rule in readable form: when, what step, who approves, how many, SLA, why."""
    return [
        {
            "id": rule.id,
            "when": rule.condition.text,
            "step": rule.step,
            "chain": rule.chain,
            "approver": str(rule.approver),
            "quorum": str(rule.quorum),
            "sla_hours": str(rule.sla_hours) if rule.sla_hours is not None else None,
            "reason": rule.reason,
        }
        for rule in policy.rules
    ]
