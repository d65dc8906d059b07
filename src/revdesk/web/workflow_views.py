"""The approval workflow as the API and the pages show it: the inbox and a deal's requests.

Who sees a request: whoever sees its deal, and anyone who is or was asked to decide one of its
steps (an approver from finance sees the deal they are asked about even when they would not see
it otherwise). A request nobody may see answers 404, like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from revdesk.approvals.service import RequestView, list_requests, request_view
from revdesk.approvals.states import RequestStatus, StepStatus
from revdesk.core.clock import utcnow
from revdesk.core.errors import NotFound
from revdesk.crm.browse import get_opportunity_or_raise, opportunity_of_quote
from revdesk.crm.service import get_user
from revdesk.web.deps import Actor

__all__ = [
    "AssigneeLine",
    "AuditLine",
    "InboxItem",
    "RequestCard",
    "StepCard",
    "deal_requests",
    "inbox",
    "visible_request",
]


@dataclass(frozen=True)
class InboxItem:
    """A step waiting on the user, with its deal and due time."""

    request_id: int
    quote_id: int
    opportunity_id: int
    deal_name: str
    step_id: str
    step_row_id: int | None
    submitted_by: str
    submitted_at: datetime
    due_at: datetime | None
    on_behalf_of: str | None


@dataclass(frozen=True)
class AssigneeLine:
    """Someone asked to decide a step, and what they decided."""

    user_id: int
    name: str
    label: str
    decision: str | None
    comment: str | None
    decided_at: datetime | None


@dataclass(frozen=True)
class StepCard:
    """A step of a request with its assignees."""

    id: int
    chain_id: str
    step_id: str
    position: int
    status: str
    due_at: datetime | None
    approvals: int
    required_approvals: int
    assignments: list[AssigneeLine]


@dataclass(frozen=True)
class AuditLine:
    """One audit entry, readable."""

    at: datetime
    actor: str
    action: str
    comment: str | None


@dataclass(frozen=True)
class RequestCard:
    """A request as a deal page and the API show it, with what the user may do on it."""

    id: int
    quote_id: int
    status: str
    submitted_by_id: int
    submitted_by: str
    submitted_at: datetime
    closed_at: datetime | None
    steps: list[StepCard]
    audit: list[AuditLine]
    can_decide: bool
    can_recall: bool


def _name(session: Session, user_id: int | None, cache: dict[int, str]) -> str:
    if user_id is None:
        return "RevDesk"
    if user_id not in cache:
        user = get_user(session, user_id)
        cache[user_id] = user.name if user is not None else f"user {user_id}"
    return cache[user_id]


def inbox(session: Session, actor: Actor, *, limit: int = 200) -> list[InboxItem]:
    """The steps waiting on the actor (also as a delegate), soonest due first."""
    rows = list_requests(session, approver_id=actor.user_id, at=utcnow(), limit=limit)
    names: dict[int, str] = {}
    items = []
    for row in rows:
        deal = get_opportunity_or_raise(session, opportunity_of_quote(session, row.quote_id))
        items.append(
            InboxItem(
                request_id=row.request_id,
                quote_id=row.quote_id,
                opportunity_id=deal.opportunity.id,
                deal_name=deal.opportunity.name,
                step_id=row.step_id or "",
                step_row_id=row.step_row_id,
                submitted_by=_name(session, row.submitted_by_id, names),
                submitted_at=row.submitted_at,
                due_at=row.due_at,
                on_behalf_of=_name(session, row.on_behalf_of_id, names)
                if row.on_behalf_of_id
                else None,
            )
        )
    return items


def _waiting_on(session: Session, actor: Actor) -> set[int]:
    return {r.request_id for r in list_requests(session, approver_id=actor.user_id, at=utcnow())}


def _card(session: Session, view: RequestView, actor: Actor, waiting: set[int]) -> RequestCard:
    names: dict[int, str] = {}
    steps = [
        StepCard(
            id=s.id,
            chain_id=s.chain_id,
            step_id=s.step_id,
            position=s.position,
            status=str(s.status),
            due_at=s.due_at if s.status is StepStatus.PENDING else None,
            approvals=s.approvals,
            required_approvals=s.required_approvals,
            assignments=[
                AssigneeLine(
                    a.user_id,
                    _name(session, a.user_id, names),
                    a.label,
                    a.decision,
                    a.comment,
                    a.decided_at,
                )
                for a in s.assignments
            ],
        )
        for s in view.steps
    ]
    audit = [
        AuditLine(e["at"], _name(session, e["actor_id"], names), str(e["action"]), e["comment"])
        for e in view.audit
    ]
    pending = view.status is RequestStatus.PENDING
    return RequestCard(
        id=view.id,
        quote_id=view.quote_id,
        status=str(view.status),
        submitted_by_id=view.submitted_by_id,
        submitted_by=_name(session, view.submitted_by_id, names),
        submitted_at=view.submitted_at,
        closed_at=view.closed_at,
        steps=steps,
        audit=audit,
        can_decide=pending and view.id in waiting,
        can_recall=pending and view.submitted_by_id == actor.user_id,
    )


def _involved(view: RequestView, user_id: int) -> bool:
    return view.submitted_by_id == user_id or any(
        user_id in (a.user_id, a.on_behalf_of_id) for s in view.steps for a in s.assignments
    )


def deal_requests(session: Session, actor: Actor, quote_ids: Sequence[int]) -> list[RequestCard]:
    """The approval requests of a deal's quotes, newest first, with steps and audit."""
    waiting = _waiting_on(session, actor)
    cards = []
    for quote_id in quote_ids:
        for row in list_requests(session, quote_id=quote_id, limit=50):
            cards.append(
                _card(session, request_view(session, request_id=row.request_id), actor, waiting)
            )
    return sorted(cards, key=lambda c: c.id, reverse=True)


def involved_in_deal(session: Session, actor: Actor, quote_ids: Sequence[int]) -> bool:
    """Whether the actor submitted or is asked to decide a request on one of these quotes.

    A request waiting on the actor as an active delegate counts too.
    """
    waiting = _waiting_on(session, actor)
    return any(
        row.request_id in waiting
        or _involved(request_view(session, request_id=row.request_id), actor.user_id)
        for quote_id in quote_ids
        for row in list_requests(session, quote_id=quote_id, limit=50)
    )


def visible_request(session: Session, actor: Actor, request_id: int) -> RequestCard:
    """A request the actor may see (its deal is visible, or they take part), else NotFound."""
    try:
        view = request_view(session, request_id=request_id)
    except NotFound:
        raise NotFound(f"approval request {request_id} does not exist") from None
    deal = get_opportunity_or_raise(session, opportunity_of_quote(session, view.quote_id))
    # Waiting on the actor covers a stand-in under an active delegation (their inbox).
    waiting = _waiting_on(session, actor)
    visible = (
        actor.sees(deal.opportunity.owner_id)
        or _involved(view, actor.user_id)
        or view.id in waiting
    )
    if not visible:
        raise NotFound(f"approval request {request_id} does not exist")
    return _card(session, view, actor, waiting)
