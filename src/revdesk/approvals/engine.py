"""What every workflow use case shares: loading a request, opening steps, closing, auditing.

Internal to the approvals service modules (requests, decisions, routing); the public use cases
are re-exported by `revdesk.approvals.service`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from revdesk.approvals import audit
from revdesk.approvals.calendar import BusinessCalendar
from revdesk.approvals.plan import ApprovalPlan, StepPlan
from revdesk.approvals.states import AssignmentSource, RequestStatus, StepStatus
from revdesk.approvals.tables import ApprovalAssignment, ApprovalRequest, ApprovalStep
from revdesk.approvals.workflow import (
    StepState,
    chain_order,
    due_at,
    request_outcome,
    steps_to_open,
)
from revdesk.core.errors import Conflict, NotFound, PermissionDenied
from revdesk.crm.model import QuoteStatus, Role
from revdesk.crm.tables import Opportunity, Quote, User

__all__ = [
    "REQUEST",
    "advance",
    "conflicts",
    "get_request_or_raise",
    "quote_and_owner",
    "record",
    "request_state",
    "require_user",
    "set_quote_status",
    "step_state",
    "steps_of",
    "user_id_of",
]

REQUEST = "approval_request"
_QUOTE_STATUS = {
    RequestStatus.APPROVED: QuoteStatus.APPROVED,
    RequestStatus.REJECTED: QuoteStatus.REJECTED,
    RequestStatus.RECALLED: QuoteStatus.DRAFT,
    RequestStatus.RETURNED: QuoteStatus.DRAFT,
    RequestStatus.WITHDRAWN: QuoteStatus.DRAFT,
    RequestStatus.PENDING: QuoteStatus.IN_REVIEW,
}


@contextmanager
def conflicts(what: str) -> Iterator[None]:
    """Turn a lost race (stale row version, duplicate pending request, busy database) into
    Conflict."""
    try:
        yield
    except StaleDataError:
        raise Conflict(
            f"{what}: someone else changed this request at the same moment; reload and try again"
        ) from None
    except IntegrityError as exc:
        if "uq_approval_requests_pending_quote" in str(exc.orig) or "UNIQUE" in str(exc.orig):
            raise Conflict(f"{what}: the quote already has a pending approval request") from None
        raise
    except OperationalError as exc:
        text = str(exc.orig).lower()
        if "locked" in text or "deadlock" in text or "could not serialize" in text:
            raise Conflict(
                f"{what}: the database was busy with another decision; try again"
            ) from None
        raise


def get_request_or_raise(session: Session, request_id: int) -> ApprovalRequest:
    """The request, or NotFound."""
    request = session.get(ApprovalRequest, request_id)
    if request is None:
        raise NotFound(f"approval request {request_id} does not exist")
    return request


def require_user(session: Session, user_id: int, *, roles: tuple[Role, ...] = ()) -> User:
    """An active user (holding one of `roles` when given), else NotFound / PermissionDenied."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    if not user.active:
        raise PermissionDenied(f"{user.name} is not an active user")
    if roles and user.role not in roles:
        needed = " or ".join(str(role) for role in roles)
        raise PermissionDenied(f"{user.name} is {user.role}; this needs {needed}")
    return user


def quote_and_owner(session: Session, quote_id: int) -> tuple[Quote, int | None]:
    """The quote and its opportunity's owner, or NotFound."""
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFound(f"quote {quote_id} does not exist")
    owner = session.scalar(
        select(Opportunity.owner_id).where(Opportunity.id == quote.opportunity_id)
    )
    return quote, owner


def set_quote_status(session: Session, quote_id: int, status: RequestStatus) -> None:
    """The quote follows its request: in review, approved, rejected or back to draft."""
    quote = session.get(Quote, quote_id)
    if quote is not None and quote.status != _QUOTE_STATUS[status]:
        quote.status = _QUOTE_STATUS[status]


def steps_of(session: Session, request_id: int) -> list[ApprovalStep]:
    """A request's steps, chain by chain in position order."""
    return list(
        session.scalars(
            select(ApprovalStep)
            .where(ApprovalStep.request_id == request_id)
            .order_by(ApprovalStep.id)
        )
    )


def request_state(request: ApprovalRequest) -> dict[str, Any]:
    """What an audit entry shows of a request."""
    return {"status": str(request.status), "row_version": request.row_version}


def step_state(step: ApprovalStep) -> dict[str, Any]:
    """What an audit entry shows of a step."""
    return {
        "step_id": step.step_id,
        "status": str(step.status),
        "approvals": step.approvals,
        "required_approvals": step.required_approvals,
        "escalation_level": step.escalation_level,
    }


def record(
    session: Session,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    request: ApprovalRequest,
    entity: str = REQUEST,
    entity_id: int | None = None,
    comment: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """One audit entry about `request` (or one of its steps or assignments)."""
    audit.append(
        session,
        at=at,
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=entity_id if entity_id is not None else request.id,
        request_id=request.id,
        comment=comment,
        before=before,
        after=after,
    )


def open_step(
    session: Session,
    step: ApprovalStep,
    plan: StepPlan,
    *,
    at: datetime,
    calendar: BusinessCalendar,
) -> None:
    """Start a step's SLA clock and ask its named approvers."""
    step.status, step.opened_at = StepStatus.PENDING, at
    step.due_at = due_at(calendar, at, step.sla_hours)
    for approver in plan.approvers:
        session.add(
            ApprovalAssignment(
                step_row_id=step.id,
                user_id=approver.user_id,
                source=AssignmentSource.PLAN,
                label=approver.label,
                active=True,
            )
        )


def advance(
    session: Session,
    request: ApprovalRequest,
    *,
    at: datetime,
    calendar: BusinessCalendar,
) -> RequestStatus | None:
    """Open the steps whose turn came, or close the request when it is decided."""
    steps = steps_of(session, request.id)
    states = [StepState(s.step_id, s.chain_id, s.position, s.status) for s in steps]
    outcome = request_outcome(states)
    if outcome is not None:
        close(session, request, outcome, steps, at=at)
        return outcome
    plan = ApprovalPlan.from_dict(request.plan)
    by_id = {step.step_id: step for step in plan.steps}
    rows = {step.step_id: step for step in steps}
    for step_id in steps_to_open(states, chain_order(plan)):
        open_step(session, rows[step_id], by_id[step_id], at=at, calendar=calendar)
    return None


def close(
    session: Session,
    request: ApprovalRequest,
    status: RequestStatus,
    steps: list[ApprovalStep],
    *,
    at: datetime,
) -> None:
    """Close the request; steps that never opened are skipped; the quote follows."""
    request.status, request.closed_at = status, at
    for step in steps:
        if step.status is StepStatus.WAITING or (
            step.status is StepStatus.PENDING and status is not RequestStatus.APPROVED
        ):
            step.status = StepStatus.SKIPPED
    set_quote_status(session, request.quote_id, status)


def user_id_of(session: Session, ref: str, *, where: str) -> int:
    """A user's id from an e-mail address (any case) or an id; NotFound names the option."""
    text = ref.strip()
    if text.isdigit() and session.get(User, int(text)) is not None:
        return int(text)
    found = session.scalar(select(User.id).where(User.email.ilike(text)))
    if found is None:
        raise NotFound(f"no user with e-mail or id {text!r}", where=where)
    return found
