"""The read side of the workflow: inboxes, request lists and everything a deal page shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from revdesk.approvals import audit
from revdesk.approvals.decisions import delegators_of
from revdesk.approvals.engine import get_request_or_raise, steps_of
from revdesk.approvals.plan import ApprovalPlan
from revdesk.approvals.states import RequestStatus, StepStatus
from revdesk.approvals.tables import ApprovalAssignment, ApprovalRequest, ApprovalStep
from revdesk.core.clock import utcnow

__all__ = [
    "AssignmentView",
    "RequestRow",
    "RequestView",
    "StepView",
    "list_requests",
    "request_view",
]


@dataclass(frozen=True, slots=True)
class RequestRow:
    """One line of a list: a request, and for an inbox the step waiting on the user."""

    request_id: int
    quote_id: int
    status: RequestStatus
    submitted_by_id: int
    submitted_at: datetime
    closed_at: datetime | None
    step_row_id: int | None = None
    step_id: str | None = None
    due_at: datetime | None = None
    on_behalf_of_id: int | None = None


def _inbox(session: Session, approver_id: int, at: datetime, limit: int) -> list[RequestRow]:
    people = [approver_id, *delegators_of(session, approver_id, at)]
    rows = session.execute(
        select(ApprovalRequest, ApprovalStep, ApprovalAssignment.user_id)
        .join(ApprovalStep, ApprovalStep.request_id == ApprovalRequest.id)
        .join(ApprovalAssignment, ApprovalAssignment.step_row_id == ApprovalStep.id)
        .where(
            ApprovalRequest.status == RequestStatus.PENDING,
            ApprovalStep.status == StepStatus.PENDING,
            ApprovalAssignment.user_id.in_(people),
            ApprovalAssignment.active.is_(True),
            ApprovalAssignment.decision.is_(None),
            or_(ApprovalAssignment.user_id == approver_id, ApprovalAssignment.source != "delegate"),
        )
        .order_by(ApprovalStep.due_at.is_(None), ApprovalStep.due_at, ApprovalStep.id)
        .limit(limit)
    ).all()
    seen: set[int] = set()
    found = []
    for request, step, user_id in rows:
        if step.id in seen:
            continue
        seen.add(step.id)
        found.append(
            RequestRow(
                request.id,
                request.quote_id,
                request.status,
                request.submitted_by_id,
                request.submitted_at,
                request.closed_at,
                step.id,
                step.step_id,
                step.due_at,
                None if user_id == approver_id else user_id,
            )
        )
    return found


def list_requests(
    session: Session,
    *,
    approver_id: int | None = None,
    status: RequestStatus | None = None,
    quote_id: int | None = None,
    at: datetime | None = None,
    limit: int = 100,
) -> list[RequestRow]:
    """With `approver_id`: that user's inbox (steps waiting on them, also as a delegate, soonest
    due first). Otherwise requests, newest first, filtered by status and quote."""
    if approver_id is not None:
        return _inbox(session, approver_id, at or utcnow(), limit)
    query = select(ApprovalRequest).order_by(ApprovalRequest.id.desc()).limit(limit)
    if status is not None:
        query = query.where(ApprovalRequest.status == status)
    if quote_id is not None:
        query = query.where(ApprovalRequest.quote_id == quote_id)
    return [
        RequestRow(r.id, r.quote_id, r.status, r.submitted_by_id, r.submitted_at, r.closed_at)
        for r in session.scalars(query)
    ]


@dataclass(frozen=True, slots=True)
class AssignmentView:
    """Someone asked to decide a step, and what they decided."""

    id: int
    user_id: int
    source: str
    label: str
    active: bool
    on_behalf_of_id: int | None
    decision: str | None
    decided_at: datetime | None
    comment: str | None


@dataclass(frozen=True, slots=True)
class StepView:
    """A step with its assignees."""

    id: int
    step_id: str
    chain_id: str
    position: int
    status: StepStatus
    required_approvals: int
    approvals: int
    sla_hours: Any
    opened_at: datetime | None
    due_at: datetime | None
    decided_at: datetime | None
    escalation_level: int
    carried_from_id: int | None
    assignments: list[AssignmentView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RequestView:
    """Everything a deal page shows about a request."""

    id: int
    quote_id: int
    status: RequestStatus
    submitted_by_id: int
    submitted_at: datetime
    closed_at: datetime | None
    previous_request_id: int | None
    row_version: int
    plan: ApprovalPlan
    steps: list[StepView]
    audit: list[dict[str, Any]]


def _assignments(session: Session, step_ids: list[int]) -> dict[int, list[AssignmentView]]:
    found: dict[int, list[AssignmentView]] = {}
    rows = session.scalars(
        select(ApprovalAssignment)
        .where(ApprovalAssignment.step_row_id.in_(step_ids))
        .order_by(ApprovalAssignment.id)
    )
    for a in rows:
        found.setdefault(a.step_row_id, []).append(
            AssignmentView(
                a.id,
                a.user_id,
                str(a.source),
                a.label,
                a.active,
                a.on_behalf_of_id,
                str(a.decision) if a.decision else None,
                a.decided_at,
                a.comment,
            )
        )
    return found


def request_view(session: Session, *, request_id: int) -> RequestView:
    """The request, its frozen plan, steps with assignees, and its audit entries."""
    request = get_request_or_raise(session, request_id)
    steps = steps_of(session, request.id)
    people = _assignments(session, [s.id for s in steps])
    return RequestView(
        id=request.id,
        quote_id=request.quote_id,
        status=request.status,
        submitted_by_id=request.submitted_by_id,
        submitted_at=request.submitted_at,
        closed_at=request.closed_at,
        previous_request_id=request.previous_request_id,
        row_version=request.row_version,
        plan=ApprovalPlan.from_dict(request.plan),
        steps=[
            StepView(
                s.id,
                s.step_id,
                s.chain_id,
                s.position,
                s.status,
                s.required_approvals,
                s.approvals,
                s.sla_hours,
                s.opened_at,
                s.due_at,
                s.decided_at,
                s.escalation_level,
                s.carried_from_id,
                people.get(s.id, []),
            )
            for s in steps
        ],
        audit=audit.entries(session, request_id=request.id),
    )
