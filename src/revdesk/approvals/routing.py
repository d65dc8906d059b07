"""Who decides: delegation for a date range, reassignment and ad-hoc approvers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from revdesk.approvals import audit
from revdesk.approvals.calendar import BusinessCalendar
from revdesk.approvals.engine import (
    conflicts,
    get_request_or_raise,
    quote_and_owner,
    record,
    require_user,
    step_state,
    steps_of,
)
from revdesk.approvals.plan import ApprovalPlan, QuorumKind
from revdesk.approvals.states import AssignmentSource, AuditAction, StepStatus
from revdesk.approvals.tables import (
    ApprovalAssignment,
    ApprovalDelegation,
    ApprovalRequest,
    ApprovalStep,
)
from revdesk.approvals.workflow import check_open
from revdesk.core.clock import ensure_utc
from revdesk.core.errors import Conflict, InvalidInput, PermissionDenied
from revdesk.crm.model import Role
from revdesk.crm.tables import User

__all__ = [
    "add_approver",
    "assign",
    "delegate",
    "pending_step",
    "reassign",
]

_ROUTERS = (Role.DEAL_DESK, Role.SALES_OPS, Role.ADMIN)
_MAX_ESCALATIONS = 3
_STANDARD = BusinessCalendar()


def delegate(
    session: Session,
    *,
    delegator_id: int,
    delegate_id: int,
    starts_on: date,
    ends_on: date,
    reason: str,
    at: datetime,
) -> ApprovalDelegation:
    """Hand one's approvals to a colleague from `starts_on` to `ends_on` (inclusive)."""
    at = ensure_utc(at, where="at")
    giver, taker = require_user(session, delegator_id), require_user(session, delegate_id)
    if delegator_id == delegate_id:
        raise InvalidInput("one cannot delegate to oneself", where="delegate")
    if ends_on < starts_on:
        raise InvalidInput(f"the delegation ends ({ends_on}) before it starts ({starts_on})")
    if not (reason or "").strip():
        raise InvalidInput("a delegation needs a reason", where="reason")
    away = session.scalar(
        select(ApprovalDelegation.id).where(
            ApprovalDelegation.delegator_id == delegate_id,
            ApprovalDelegation.starts_on <= ends_on,
            ApprovalDelegation.ends_on >= starts_on,
            ApprovalDelegation.revoked_at.is_(None),
        )
    )
    if away is not None:
        raise Conflict(f"{taker.name} has delegated their own approvals over these dates")
    row = ApprovalDelegation(
        delegator_id=delegator_id,
        delegate_id=delegate_id,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        created_at=at,
    )
    session.add(row)
    with conflicts(f"delegate from user {delegator_id} to user {delegate_id}"):
        session.flush()
        audit.append(
            session,
            at=at,
            actor_id=delegator_id,
            action=AuditAction.DELEGATED,
            entity="approval_delegation",
            entity_id=row.id,
            comment=reason,
            after={
                "delegator": giver.email,
                "delegate": taker.email,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
            },
        )
    return row


def pending_step(
    session: Session, request: ApprovalRequest, step_row_id: int | None
) -> ApprovalStep:
    check_open(request.status, "route", request.id)
    steps = [s for s in steps_of(session, request.id) if s.status is StepStatus.PENDING]
    if step_row_id is not None:
        steps = [s for s in steps if s.id == step_row_id]
    if not steps:
        raise Conflict(f"request {request.id} has no open step {step_row_id or ''}".rstrip())
    return steps[0]


def check_router(session: Session, request: ApprovalRequest, actor_id: int) -> User:
    """Only deal desk, sales ops or an admin route (reassign, add an approver, escalate), and
    never on a deal they own or a request they submitted."""
    actor = require_user(session, actor_id)
    _, owner = quote_and_owner(session, request.quote_id)
    if actor_id in (owner, request.submitted_by_id):
        raise PermissionDenied(
            f"{actor.name} owns the deal or submitted request {request.id} and may not route "
            "its approvals (segregation of duties)"
        )
    if actor.role not in _ROUTERS:
        raise PermissionDenied(
            f"{actor.name} may not route request {request.id}: only deal desk, sales ops "
            "or an admin may"
        )
    return actor


def assign(
    session: Session,
    step: ApprovalStep,
    user: User,
    *,
    source: AssignmentSource,
    label: str,
    on_behalf_of_id: int | None = None,
) -> ApprovalAssignment:
    row = session.scalar(
        select(ApprovalAssignment).where(
            ApprovalAssignment.step_row_id == step.id, ApprovalAssignment.user_id == user.id
        )
    )
    if row is not None and row.active and row.decision is None:
        raise Conflict(f"{user.name} is already an approver of step {step.step_id}")
    if row is not None and row.decision is not None:
        raise Conflict(f"{user.name} already decided step {step.step_id}")
    row = row or ApprovalAssignment(step_row_id=step.id, user_id=user.id)
    row.source, row.label, row.active, row.on_behalf_of_id = source, label, True, on_behalf_of_id
    session.add(row)
    return row


def _check_not_party(session: Session, request: ApprovalRequest, user: User) -> None:
    _, owner = quote_and_owner(session, request.quote_id)
    if user.id in (owner, request.submitted_by_id):
        raise PermissionDenied(f"{user.name} owns or submitted this deal and cannot approve it")


def reassign(
    session: Session,
    *,
    request_id: int,
    from_user_id: int,
    to_user_id: int,
    actor_id: int,
    at: datetime,
    comment: str | None = None,
    step_row_id: int | None = None,
) -> ApprovalRequest:
    """Move an undecided assignment from one user to another."""
    at = ensure_utc(at, where="at")
    request = get_request_or_raise(session, request_id)
    check_router(session, request, actor_id)
    target = require_user(session, to_user_id)
    _check_not_party(session, request, target)
    with conflicts(f"reassign on request {request_id}"):
        step = pending_step(session, request, step_row_id)
        old = session.scalar(
            select(ApprovalAssignment).where(
                ApprovalAssignment.step_row_id == step.id,
                ApprovalAssignment.user_id == from_user_id,
                ApprovalAssignment.active.is_(True),
                ApprovalAssignment.decision.is_(None),
            )
        )
        if old is None:
            raise Conflict(f"user {from_user_id} has no open assignment on step {step.step_id}")
        old.active = False
        assign(
            session,
            step,
            target,
            source=AssignmentSource.REASSIGN,
            label=f"reassigned from user {from_user_id}",
        )
        flag_modified(step, "approvals")  # bump the step's row version: racing deciders conflict
        session.flush()
        record(
            session,
            at=at,
            actor_id=actor_id,
            action=AuditAction.REASSIGNED,
            request=request,
            entity="approval_step",
            entity_id=step.id,
            comment=comment,
            before={"user_id": from_user_id},
            after={"user_id": to_user_id},
        )
    return request


def add_approver(
    session: Session,
    *,
    request_id: int,
    user_id: int,
    actor_id: int,
    at: datetime,
    comment: str | None = None,
    step_row_id: int | None = None,
) -> ApprovalRequest:
    """Ask one more person to approve an open step; the quorum grows by one for `all` steps."""
    at = ensure_utc(at, where="at")
    request = get_request_or_raise(session, request_id)
    check_router(session, request, actor_id)
    user = require_user(session, user_id)
    _check_not_party(session, request, user)
    with conflicts(f"add an approver to request {request_id}"):
        step = pending_step(session, request, step_row_id)
        before = step_state(step)
        assign(session, step, user, source=AssignmentSource.ADHOC, label="added by hand")
        plan = {s.step_id: s for s in ApprovalPlan.from_dict(request.plan).steps}
        if plan[step.step_id].quorum.kind is QuorumKind.ALL:
            step.required_approvals += 1
        flag_modified(step, "approvals")
        session.flush()
        record(
            session,
            at=at,
            actor_id=actor_id,
            action=AuditAction.APPROVER_ADDED,
            request=request,
            entity="approval_step",
            entity_id=step.id,
            comment=comment,
            before=before,
            after={**step_state(step), "user_id": user_id},
        )
    return request
